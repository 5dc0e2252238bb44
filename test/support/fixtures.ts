import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Kysely } from 'kysely'
import { pino } from 'pino'
import { upsertBrand } from '../../src/brands/brand-repository.ts'
import type { Database, NewCampaign, NewCampaignMessage } from '../../src/db/database.ts'
import { LocalFolder } from '../../src/storage/local-folder.ts'

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
