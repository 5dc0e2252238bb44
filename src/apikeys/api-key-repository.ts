import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'

export interface CreatedApiKey {
  id: string
  brandId: string
  /** Shown once; only its hash is stored. */
  key: string
  /** For keys that require signed requests: the HMAC secret, shown once. */
  signingSecret?: string
}

/** A new key for a brand: `flex_` and 32 random bytes, base64url. */
export async function createApiKey(
  db: Kysely<Database>,
  brandId: string,
  options: { requireSignature?: boolean } = {},
): Promise<CreatedApiKey> {
  const key = `flex_${randomBytes(32).toString('base64url')}`
  const id = randomUUID()
  const signingSecret = options.requireSignature ? randomBytes(32).toString('base64url') : undefined
  await db
    .insertInto('api_keys')
    .values({ id, brand_id: brandId, key_hash: hashKey(key), signing_secret: signingSecret ?? null })
    .execute()
  return { id, brandId, key, ...(signingSecret === undefined ? {} : { signingSecret }) }
}

export async function revokeApiKey(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** The brand a live key belongs to (and its signing secret, if it requires signatures). */
export async function lookUpKey(
  db: Kysely<Database>,
  key: string,
): Promise<{ brandId: string; signingSecret: string | null } | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select(['brand_id', 'signing_secret'])
    .where('key_hash', '=', hashKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row && { brandId: row.brand_id, signingSecret: row.signing_secret }
}

/** Records a signature; false when it was seen before (a replayed request). */
export async function firstUseOfSignature(db: Kysely<Database>, signature: string): Promise<boolean> {
  const result = await db
    .insertInto('request_signatures')
    .values({ signature })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst()
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}
