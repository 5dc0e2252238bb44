import { randomUUID } from 'node:crypto'

let lastMillis = -1
let sequence = 0

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit sequence, then random bits.
 * Change events get these ids so that the outbox's primary key grows at its right edge in time
 * order, where random (version 4) ids would touch pages all over a large index.
 *
 * Ids made in one process sort in the order they were made, even within a millisecond (RFC 9562
 * §6.2, method 1: the sequence counts up within a millisecond from a random start, and a
 * millisecond whose sequence is spent borrows the next one), so the events of one transaction
 * are fanned out in the order they were appended. The random bits come from randomUUID, which
 * draws entropy in bulk (randomBytes per id cost 4% of an ingest's CPU).
 */
export function eventId(now = Date.now()): string {
  if (now > lastMillis) {
    lastMillis = now
    sequence = Math.floor(Math.random() * 0x800)
  } else if (++sequence > 0xfff) {
    lastMillis += 1
    sequence = 0
  }
  const time = lastMillis.toString(16).padStart(12, '0')
  const random = randomUUID()
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${sequence.toString(16).padStart(3, '0')}${random.slice(18)}`
}

/** When an event id was made: the Unix milliseconds in its first 48 bits. */
export function eventIdTime(id: string): Date {
  return new Date(Number.parseInt(id.replace('-', '').slice(0, 12), 16))
}
