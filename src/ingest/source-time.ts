/**
 * A source time to the microsecond, as PostgreSQL keeps it: epoch milliseconds (floored) and the
 * microseconds within that millisecond. A Date keeps only milliseconds, and two updates within
 * the same millisecond must still be told apart; two numbers compare faster than a BigInt.
 */
export interface SourceTime {
  readonly ms: number
  readonly micros: number
}

/** An instant (checked by `instant`) as a SourceTime, offsets included. */
export function sourceTime(value: string): SourceTime {
  // Date.parse keeps the first 3 fractional digits; digits 4 to 6 are the microseconds, and
  // digits missing after the fraction's end count as zeros.
  const end = fractionEnd(value)
  let micros = 0
  for (let i = 23; i < 26; i++) micros = micros * 10 + (i < end ? value.charCodeAt(i) - 48 : 0)
  return { ms: Date.parse(value), micros }
}

/** Negative when a is earlier than b, positive when later, 0 when the same microsecond. */
export function compareSourceTimes(a: SourceTime, b: SourceTime): number {
  return a.ms - b.ms || a.micros - b.micros
}

/**
 * Where an instant's fractional digits end (YYYY-MM-DDTHH:MM:SS is 19 characters, a fraction
 * starts with the point at index 19); 20 when it has none.
 */
function fractionEnd(value: string): number {
  if (value.charCodeAt(19) !== 46 /* . */) return 20
  let end = 20
  while (end < value.length && value.charCodeAt(end) >= 48 && value.charCodeAt(end) <= 57) end++
  return end
}
