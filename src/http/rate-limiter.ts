/**
 * Fixed windows per API key, in this process: enough to stop a runaway client. (Several replicas
 * each allow the limit; a shared store is not worth it for that purpose.)
 */
export class RateLimiter {
  readonly requests: number
  readonly windowMs: number
  readonly #windows = new Map<string, { start: number; count: number }>()

  constructor(limit: { requests: number; windowMs: number }) {
    this.requests = limit.requests
    this.windowMs = limit.windowMs
  }

  /** Counts a request; returns the seconds until the key may retry when it is over the limit. */
  take(key: string, now = Date.now()): number | undefined {
    const window = this.#windows.get(key)
    if (!window || now - window.start >= this.windowMs) {
      this.#windows.set(key, { start: now, count: 1 })
      return undefined
    }
    if (++window.count <= this.requests) return undefined
    return Math.ceil((window.start + this.windowMs - now) / 1000)
  }
}
