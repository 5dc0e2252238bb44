import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import { newSigningSecret } from './webhook-secret.ts'

/** A webhook as the API shows it: never its signing secret. */
export interface Webhook {
  id: string
  brandId: string
  endpoint: string
  /** Types or prefixes of types, sorted, without repeats. */
  events: string[]
  enabled: boolean
  headers: Record<string, string>
  /** Why the platform disabled it; null when enabled or disabled by the brand. */
  disabledReason: string | null
  created: Date
  updated: Date
}

export interface NewWebhook {
  endpoint: string
  events: readonly string[]
  enabled: boolean
  headers: Record<string, string>
}

/** The set of subscriptions as stored: sorted (by code point, as collate "C"), without repeats. */
export function eventSet(events: readonly string[]): string[] {
  return [...new Set(events)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

const columns = [
  'id',
  'brand_id',
  'endpoint',
  'event_types',
  'enabled',
  'headers',
  'disabled_reason',
  'created_at',
  'updated_at',
] as const

type Row = {
  id: string
  brand_id: string
  endpoint: string
  event_types: string[]
  enabled: boolean
  headers: Record<string, string>
  disabled_reason: string | null
  created_at: Date
  updated_at: Date
}

function toWebhook(row: Row): Webhook {
  return {
    id: row.id,
    brandId: row.brand_id,
    endpoint: row.endpoint,
    events: row.event_types,
    enabled: row.enabled,
    headers: row.headers,
    disabledReason: row.disabled_reason,
    created: row.created_at,
    updated: row.updated_at,
  }
}

/**
 * Stores a webhook with a new signing secret; `duplicate` when the brand already has one for the
 * same endpoint and the same set of event types (the unique constraint decides, so two racing
 * requests cannot both succeed).
 */
export async function createWebhook(
  db: Kysely<Database>,
  brandId: string,
  webhook: NewWebhook,
): Promise<{ created: Webhook; secret: string } | { duplicate: true; events: string[] }> {
  const events = eventSet(webhook.events)
  const secret = newSigningSecret()
  const row = await db
    .insertInto('webhooks')
    .values({
      id: randomUUID(),
      brand_id: brandId,
      endpoint: webhook.endpoint,
      event_types: events,
      enabled: webhook.enabled,
      signing_secret: secret,
      headers: JSON.stringify(webhook.headers),
    })
    .onConflict((conflict) => conflict.constraint('webhooks_brand_endpoint_events_key').doNothing())
    .returning(columns)
    .executeTakeFirst()
  if (row === undefined) return { duplicate: true, events }
  return { created: toWebhook(row), secret }
}

/** The brand's webhooks, oldest first. */
export async function listWebhooks(db: Kysely<Database>, brandId: string): Promise<Webhook[]> {
  const rows = await db
    .selectFrom('webhooks')
    .select(columns)
    .where('brand_id', '=', brandId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.map(toWebhook)
}

/** One of the brand's webhooks; undefined for another brand's. */
export async function findWebhook(db: Kysely<Database>, brandId: string, id: string): Promise<Webhook | undefined> {
  const row = await db
    .selectFrom('webhooks')
    .select(columns)
    .where('brand_id', '=', brandId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row && toWebhook(row)
}

/**
 * Turns the webhook on or off; turning it on clears the reason the platform had disabled it for,
 * and starts the 5-day count of failures afresh (the brand says the endpoint is fixed).
 * updated_at moves by the table's trigger.
 */
export async function setWebhookEnabled(
  db: Kysely<Database>,
  brandId: string,
  id: string,
  enabled: boolean,
): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set({ enabled, ...(enabled ? { disabled_reason: null, failing_since: null } : {}) })
    .where('brand_id', '=', brandId)
    .where('id', '=', id)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function deleteWebhook(db: Kysely<Database>, brandId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('webhooks').where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** The webhook's signing secret; undefined for an unknown id or another brand's webhook. */
export async function webhookSecret(db: Kysely<Database>, brandId: string, id: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('webhooks')
    .select('signing_secret')
    .where('brand_id', '=', brandId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row?.signing_secret
}

/** How long a rotated-out secret keeps signing beside the new one, so receivers can switch without losing a delivery. */
export const secretOverlapMs = 24 * 60 * 60 * 1000

/**
 * Gives the webhook a new signing secret; the old one keeps signing beside it (two signatures in
 * `webhook-signature`) for `secretOverlapMs`. Undefined for an unknown id or another brand's webhook.
 */
export async function rotateWebhookSecret(
  db: Kysely<Database>,
  brandId: string,
  id: string,
  now: Date = new Date(),
): Promise<{ secret: string; previousSecretExpires: Date } | undefined> {
  const secret = newSigningSecret()
  const previousSecretExpires = new Date(now.getTime() + secretOverlapMs)
  const row = await db
    .updateTable('webhooks')
    .set((eb) => ({
      previous_signing_secret: eb.ref('signing_secret'),
      previous_secret_expires_at: previousSecretExpires,
      signing_secret: secret,
    }))
    .where('brand_id', '=', brandId)
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst()
  return row && { secret, previousSecretExpires }
}
