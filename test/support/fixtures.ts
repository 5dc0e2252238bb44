import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Kysely } from 'kysely'
import { pino } from 'pino'
import { upsertBrand } from '../../src/brands/brand-repository.ts'
import type { Database, NewCampaign, NewCampaignMessage } from '../../src/db/database.ts'
import type { EntityType } from '../../src/ingest/entity-types.ts'
import { LocalFolder } from '../../src/storage/local-folder.ts'

const recordTime = '2026-11-21T09:30:00+01:00'

/** One record of each type with every field set, so each stored field is checked. */
export const fullRecords: Record<EntityType, Record<string, unknown>> = {
  customers: {
    id: 'C-1',
    email: 'zoe@example.com',
    phone: '+4915112345678',
    first_name: 'Zoë',
    last_name: 'Schmidt',
    birth_date: '1990-02-03',
    email_consent: true,
    sms_consent: false,
    attributes: { tier: 'gold', visits: 3, vip: true, note: null },
    updated_at: recordTime,
  },
  customer_events: {
    id: 'E-1',
    customer_id: 'C-1',
    event_type: 'page_view',
    occurred_at: recordTime,
    properties: { page: '/home' },
    updated_at: recordTime,
  },
  transactions: {
    id: 'T-1',
    customer_id: 'C-1',
    outlet_id: 'O-1',
    occurred_at: recordTime,
    status: 'completed',
    currency: 'EUR',
    total_amount: '2.50',
    items: [{ sku: 'S-1', quantity: '2', unit_price: '1.25', amount: '2.50' }],
    updated_at: recordTime,
  },
  products: {
    id: 'S-1',
    name: 'Seife',
    category: 'bath',
    price: '1.25',
    currency: 'EUR',
    attributes: { scent: 'lavender' },
    updated_at: recordTime,
  },
  groups: { id: 'G-2', name: 'Berlin', kind: 'regional', parent_group_id: 'G-1', updated_at: recordTime },
  outlets: {
    id: 'O-1',
    name: 'Mitte',
    group_id: 'G-2',
    address: 'Unter den Linden 1',
    city: 'Berlin',
    country: 'DE',
    updated_at: recordTime,
  },
}

export const silentLog = pino({ level: 'silent' })

export async function tempFolder(): Promise<LocalFolder> {
  return new LocalFolder(await mkdtemp(path.join(tmpdir(), 'flex-test-')))
}

export async function addBrand(db: Kysely<Database>, id: string, timezone: string): Promise<void> {
  await upsertBrand(db, { id, timezone })
}

export async function addCampaign(
  db: Kysely<Database>,
  campaign: Partial<NewCampaign> & Pick<NewCampaign, 'brand_id' | 'id' | 'updated_at'>,
): Promise<void> {
  await db
    .insertInto('campaigns')
    .values({
      name: `Campaign ${campaign.id}`,
      channel: 'email',
      status: 'running',
      created_at: campaign.updated_at,
      ...campaign,
    })
    // Idempotent, so a test body can run once per destination against one database.
    .onConflict((oc) => oc.doNothing())
    .execute()
}

export async function addMessage(
  db: Kysely<Database>,
  message: Partial<NewCampaignMessage> &
    Pick<NewCampaignMessage, 'brand_id' | 'campaign_id' | 'customer_id' | 'updated_at'>,
): Promise<void> {
  await db
    .insertInto('campaign_messages')
    .values({ channel: 'email', status: 'sent', created_at: message.updated_at, ...message })
    .onConflict((oc) => oc.doNothing())
    .execute()
}
