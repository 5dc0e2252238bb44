/** What happened to a valid record. */
export const storedOutcomes = ['created', 'updated', 'unchanged', 'stale'] as const

/** What happened to one ingested record; the one list the engine, the API and its OpenAPI document share. */
export const recordOutcomes = [...storedOutcomes, 'rejected'] as const

export type StoredOutcome = (typeof storedOutcomes)[number]
export type OutcomeName = (typeof recordOutcomes)[number]

export type RecordOutcome =
  | { index: number; id: string; outcome: StoredOutcome }
  | { index: number; id?: string; outcome: 'rejected'; errors: { field: string; message: string }[] }

/**
 * Text quoted from a rejected record (its id, a field's name), made storable: outcomes are kept as
 * jsonb under an idempotency key, and PostgreSQL refuses lone surrogates and NUL there.
 */
export function storableText(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\ufffd')
}
