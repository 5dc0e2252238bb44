/** What happened to one ingested record; the one list the engine, the API and its OpenAPI document share. */
export const recordOutcomes = ['created', 'updated', 'unchanged', 'stale', 'rejected'] as const

export type OutcomeName = (typeof recordOutcomes)[number]

export type RecordOutcome =
  | { index: number; id: string; outcome: Exclude<OutcomeName, 'rejected'> }
  | { index: number; id?: string; outcome: 'rejected'; errors: { field: string; message: string }[] }

/**
 * Text quoted from a rejected record (its id, a field's name), made storable: outcomes are kept as
 * jsonb under an idempotency key, and PostgreSQL refuses lone surrogates and NUL there.
 */
export function storableText(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\ufffd')
}
