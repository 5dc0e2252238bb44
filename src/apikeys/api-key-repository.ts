import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'

/** Whom a key acts for: one brand, or (an operator key) every brand. */
export type ApiKeyScope = { brandId: string; operator: false } | { brandId: null; operator: true }

export type CreatedApiKey = ApiKeyScope & {
  id: string
  /** Shown once; only its hash is stored. */
  key: string
  /** For keys that require signed requests: the HMAC secret, shown once. */
  signingSecret?: string
}

/** A live key as the API sees it: its id (for logs), whom it acts for, and its signing secret. */
export type LiveApiKey = ApiKeyScope & { id: string; signingSecret: string | null }

/**
 * A new key for a brand, or with `{ operator: true }` an operator key that belongs to no brand and
 * may act for every brand: `flex_` and 32 random bytes, base64url.
 */
export async function createApiKey(
  db: Kysely<Database>,
  owner: string | { operator: true },
  options: { requireSignature?: boolean } = {},
): Promise<CreatedApiKey> {
  const key = `flex_${randomBytes(32).toString('base64url')}`
  const id = randomUUID()
  const signingSecret = options.requireSignature ? randomBytes(32).toString('base64url') : undefined
  const scope: ApiKeyScope =
    typeof owner === 'string' ? { brandId: owner, operator: false } : { brandId: null, operator: true }
  await db
    .insertInto('api_keys')
    .values({
      id,
      brand_id: scope.brandId,
      operator: scope.operator,
      key_hash: hashKey(key),
      signing_secret: signingSecret ?? null,
    })
    .execute()
  return { id, ...scope, key, ...(signingSecret === undefined ? {} : { signingSecret }) }
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

/** A live (unrevoked) key: whom it acts for and its signing secret, if it requires signatures. */
export async function lookUpKey(db: Kysely<Database>, key: string): Promise<LiveApiKey | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'brand_id', 'operator', 'signing_secret'])
    .where('key_hash', '=', hashKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  if (!row) return undefined
  // api_keys_scope_check: a key without a brand is an operator key, and only such a key is one.
  const scope: ApiKeyScope =
    row.brand_id === null ? { brandId: null, operator: true } : { brandId: row.brand_id, operator: false }
  return { id: row.id, ...scope, signingSecret: row.signing_secret }
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
