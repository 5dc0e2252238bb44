// The seeded PRNG behind all demo data, and the helpers that draw from it.

/** FNV-1a: turns the seed and brand id into a 32-bit PRNG seed. */
export function hashSeed(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** mulberry32: tiny, fast and good enough for demo data; the same seed gives the same sequence everywhere. */
export class Random {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    const low = Math.ceil(min)
    return low + Math.floor(this.next() * (Math.floor(max) - low + 1))
  }

  between(min: number, max: number): number {
    return min + this.next() * (max - min)
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)]
    if (item === undefined) throw new RangeError('pick from an empty list')
    return item
  }

  weighted<T extends { weight: number }>(items: readonly T[]): T {
    const total = items.reduce((sum, item) => sum + item.weight, 0)
    let r = this.next() * total
    for (const item of items) {
      r -= item.weight
      if (r < 0) return item
    }
    return this.pick(items)
  }

  /** A copy in random order. */
  shuffle<T>(items: readonly T[]): T[] {
    return this.sample(items, items.length)
  }

  /** `count` distinct items in random order (partial Fisher-Yates). */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items]
    const n = Math.min(count, pool.length)
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.next() * (pool.length - i))
      const chosen = pool[j] as T
      pool[j] = pool[i] as T
      pool[i] = chosen
    }
    return pool.slice(0, n)
  }

  /**
   * An exponentially distributed delay with the given median, capped: most events follow soon,
   * a long tail comes days later.
   */
  delay(medianMs: number, maxMs: number): number {
    return Math.min(maxMs, (-Math.log(1 - this.next()) * medianMs) / Math.LN2)
  }
}

/** `count` random decimal digits, for phone numbers. */
export function digits(rng: Random, count: number): string {
  return Array.from({ length: count }, () => rng.int(0, 9)).join('')
}
