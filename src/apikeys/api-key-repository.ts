import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'

export interface CreatedApiKey {
  id: string
  brandId: string
  /** Shown once; only its hash is stored. */
  key: string
}

/** A new key for a brand: `flex_` and 32 random bytes, base64url. */
export async function createApiKey(db: Kysely<Database>, brandId: string): Promise<CreatedApiKey> {
  const key = `flex_${randomBytes(32).toString('base64url')}`
  const id = randomUUID()
  await db
    .insertInto('api_keys')
    .values({ id, brand_id: brandId, key_hash: hashKey(key) })
    .execute()
  return { id, brandId, key }
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

/** The brand a live key belongs to, or undefined for an unknown or revoked key. */
export async function brandForKey(db: Kysely<Database>, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select('brand_id')
    .where('key_hash', '=', hashKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row?.brand_id
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}
