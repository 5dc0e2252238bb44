import type { Transaction } from 'kysely'
import type { Database } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import type { RecordOutcome } from './record-outcome.ts'

/** A batch sent under an idempotency key: its outcomes are kept, and a repeat gets them back. */
export interface Idempotency {
  /** The client's Idempotency-Key. */
  key: string
  /** A hash of what the request asked for: reusing a key for another request is an error. */
  requestHash: string
}

/**
 * The outcomes stored for this key by an earlier batch, or undefined for a new key. Runs under the
 * brand's ingest lock, so a repeat sent while the first is still running waits for its outcomes.
 * Reusing a key for a different request is an error.
 */
export async function earlierOutcomes(
  trx: Transaction<Database>,
  brandId: string,
  idempotency: Idempotency,
): Promise<RecordOutcome[] | undefined> {
  const earlier = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'outcomes'])
    .where('brand_id', '=', brandId)
    .where('key', '=', idempotency.key)
    .executeTakeFirst()
  if (!earlier) return undefined
  if (earlier.request_hash !== idempotency.requestHash) {
    throw new FlexError(
      'IDEMPOTENCY_KEY_REUSED',
      `Idempotency-Key "${idempotency.key}" was already used for a different request; use a new key`,
    )
  }
  return earlier.outcomes as RecordOutcome[]
}

/** Keeps a batch's outcomes under its key, in the batch's own transaction. */
export async function rememberOutcomes(
  trx: Transaction<Database>,
  brandId: string,
  idempotency: Idempotency,
  outcomes: RecordOutcome[],
): Promise<void> {
  await trx
    .insertInto('idempotency_keys')
    .values({
      brand_id: brandId,
      key: idempotency.key,
      request_hash: idempotency.requestHash,
      outcomes: JSON.stringify(outcomes),
    })
    .execute()
}
