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
 * The rules a rejected record can break, as the rejection log names them beside the message
 * (docs/ingestion.md, "Rejections"): zod's issue kinds in words, the engine's own checks, and
 * `unreadable` for a line of a file that is not a record at all.
 */
export const rejectionRules = [
  'required',
  'type',
  'allowed_values',
  'format',
  'minimum',
  'maximum',
  'unknown_field',
  'control_characters',
  'unicode',
  'reserved_key',
  'duplicate_id',
  'refused_by_database',
  'unreadable',
  'invalid',
] as const

export type RejectionRule = (typeof rejectionRules)[number]

/** One rule a record broke: where, which rule, and the message the answer gives. */
export interface RuleBreach {
  field: string
  rule: RejectionRule
  message: string
}

/**
 * A rejected record as the engine knows it: the outcome the API answers, and for the rejection log
 * the rule of each error. The answer leaves the rules out (rejectedOutcome).
 */
export interface Rejection {
  index: number
  id?: string
  errors: RuleBreach[]
}

/** The outcome of a rejected record, as answered: each error's field and message. */
export function rejectedOutcome(rejection: Rejection): RecordOutcome {
  return {
    index: rejection.index,
    ...(rejection.id === undefined ? {} : { id: rejection.id }),
    outcome: 'rejected',
    errors: rejection.errors.map(({ field, message }) => ({ field, message })),
  }
}

/**
 * Text quoted from a rejected record (its id, a field's name), made storable: outcomes are kept as
 * jsonb under an idempotency key, and PostgreSQL refuses lone surrogates and NUL there.
 */
export function storableText(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\ufffd')
}
