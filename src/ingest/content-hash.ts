import { hash } from 'node:crypto'
import { JsonNumberText } from './record-json.ts'

/**
 * A parsed record's content hash, which tells an unchanged record from an updated one and breaks
 * ties between versions with the same source time. The schemas fix the key order (and free-form
 * objects sort theirs), so the record's JSON is canonical: the same content has the same hash.
 */
export function recordContentHash(record: unknown): string {
  // The one-shot hash: a Hash object per record cost twice as much (0.59 against 0.30 us).
  return hash('sha256', JSON.stringify(record), 'hex')
}

/** The content hash of an erased entity (deleteCustomer): no update replaces it, whatever its source time. */
export const deletedContentHash = 'deleted'

/** A stable hash of any JSON value (an API request): keys sorted, so their order does not matter. */
export function contentHash(record: unknown): string {
  return hash('sha256', canonicalJson(record), 'hex')
}

function canonicalJson(value: unknown): string {
  // A number kept as written (parseRecordJson) is that number, not an object with a `source`.
  if (value instanceof JsonNumberText) return value.source
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
