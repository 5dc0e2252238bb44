import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { ApiKeyScope } from '../apikeys/api-key-repository.ts'
import type { Database } from '../db/database.ts'

/** How long a console sign-in lasts, from the moment the key was presented. */
export const defaultSessionLifetimeMs = 8 * 60 * 60 * 1000

/** A live console session: whom it acts for (its key's scope) and the CSRF token its forms carry. */
export type ConsoleSession = ApiKeyScope & {
  apiKeyId: string
  csrfToken: string
  expiresAt: Date
}

/** A new session for a live key: the token for the cookie (only its hash is kept) and the session. */
export async function startSession(
  db: Kysely<Database>,
  key: ApiKeyScope & { id: string },
  options: { now: Date; lifetimeMs: number },
): Promise<{ token: string; session: ConsoleSession }> {
  const token = randomBytes(32).toString('base64url')
  const csrfToken = randomBytes(32).toString('base64url')
  const expiresAt = new Date(options.now.getTime() + options.lifetimeMs)
  // Expired sessions go when a new one starts: the table holds at most a lifetime's sign-ins.
  await db.deleteFrom('console_sessions').where('expires_at', '<=', options.now).execute()
  await db
    .insertInto('console_sessions')
    .values({ token_hash: hashToken(token), api_key_id: key.id, csrf_token: csrfToken, expires_at: expiresAt })
    .execute()
  const scope: ApiKeyScope = key.operator
    ? { brandId: null, operator: true }
    : { brandId: key.brandId, operator: false }
  return { token, session: { ...scope, apiKeyId: key.id, csrfToken, expiresAt } }
}

/** The session a cookie's token names, if it has not expired and its key has not been revoked. */
export async function findSession(db: Kysely<Database>, token: string, now: Date): Promise<ConsoleSession | undefined> {
  const row = await db
    .selectFrom('console_sessions as s')
    .innerJoin('api_keys as k', 'k.id', 's.api_key_id')
    .select(['k.id', 'k.brand_id', 's.csrf_token', 's.expires_at'])
    .where('s.token_hash', '=', hashToken(token))
    .where('s.expires_at', '>', now)
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst()
  if (!row) return undefined
  const scope: ApiKeyScope =
    row.brand_id === null ? { brandId: null, operator: true } : { brandId: row.brand_id, operator: false }
  return { ...scope, apiKeyId: row.id, csrfToken: row.csrf_token, expiresAt: row.expires_at }
}

/** Signing out: the token names no session afterwards. */
export async function endSession(db: Kysely<Database>, token: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('token_hash', '=', hashToken(token)).execute()
}

/** Whether a form's CSRF token is the session's, compared in constant time. */
export function csrfTokenMatches(session: ConsoleSession, presented: unknown): boolean {
  if (typeof presented !== 'string') return false
  const expected = Buffer.from(session.csrfToken)
  const actual = Buffer.from(presented)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
