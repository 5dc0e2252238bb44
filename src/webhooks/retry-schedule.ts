// When a failed delivery is tried again: the whole policy, as data. The first attempt is made as
// soon as the event is fanned out; after each failure the next waits the delay below, give or take
// 10% (jitter spreads the retries of an endpoint that came back). Ten attempts, the last about
// 23.6 hours after the first and never later than 24 hours; after the tenth failure (or at 24 hours)
// the delivery is given up (FAILURE), and a manual retry still makes one more attempt.
// docs/webhooks.md publishes this table.

const second = 1_000
const minute = 60 * second
const hour = 60 * minute

/** The wait after failed attempt n (index n - 1); its length + 1 is the number of attempts. */
export const retryDelaysMs: readonly number[] = [
  5 * second,
  1 * minute,
  5 * minute,
  30 * minute,
  1 * hour,
  2 * hour,
  4 * hour,
  8 * hour,
  8 * hour,
]

export const maxAttempts = retryDelaysMs.length + 1

/** Each delay is drawn from delay × (1 ± jitter). */
export const jitter = 0.1

/** No attempt is made later than this after the first (a long `Retry-After` or the jitter cannot stretch it). */
export const scheduleSpanMs = 24 * hour

/** Statuses whose `Retry-After` header is honoured. */
export const retryAfterStatuses: ReadonlySet<number> = new Set([429, 503])

/** The status that disables a webhook at once: the receiver says the endpoint is gone for good. */
export const goneStatus = 410

/** A webhook whose attempts have all failed for this long is disabled. */
export const disableAfterFailingMs = 5 * 24 * hour

export interface FailedAttempt {
  /** Attempts made so far, this one included. */
  attempts: number
  /** When this delivery's first attempt started. */
  firstAttemptAt: Date
  /** When this attempt ended. */
  now: Date
  /** The response's Retry-After header, when it had one. */
  retryAfter?: string | undefined
  statusCode?: number | undefined
}

/**
 * When to try a failed delivery again, or undefined when its schedule is spent: after the last
 * attempt of the table, or once `scheduleSpanMs` have passed since the first attempt. No attempt is
 * scheduled later than that, whatever the jitter or a `Retry-After` asks. `random` is injectable
 * so that tests can pin the jitter.
 */
export function nextAttemptAt(failed: FailedAttempt, random: () => number = Math.random): Date | undefined {
  const delay = retryDelaysMs[failed.attempts - 1]
  const deadline = failed.firstAttemptAt.getTime() + scheduleSpanMs
  if (delay === undefined || failed.now.getTime() >= deadline) return undefined
  let wait = Math.round(delay * (1 + jitter * (2 * random() - 1)))
  if (failed.statusCode !== undefined && retryAfterStatuses.has(failed.statusCode)) {
    const asked = retryAfterMs(failed.retryAfter, failed.now)
    if (asked !== undefined) wait = Math.max(wait, asked)
  }
  return new Date(Math.min(failed.now.getTime() + wait, deadline))
}

/** A Retry-After value (delay-seconds or an HTTP-date, RFC 9110 §10.2.3) in ms from now; undefined when unreadable. */
export function retryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d{1,10}$/.test(text)) return Number(text) * second
  const at = Date.parse(text)
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined
  return Math.max(0, at - now.getTime())
}
