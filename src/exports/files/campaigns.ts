import { z } from 'zod'
import { column } from '../columns.ts'
import { changedDuring, defineExportFile } from '../export-file.ts'

export const campaigns = defineExportFile({
  name: 'campaigns',
  description: 'One row per campaign: what it is, its channel, status and schedule.',
  key: ['brand_id', 'campaign_id'],
  window: 'campaigns created or changed during day D (updated_at in the window)',
  row: z.object({
    brand_id: column.id('Brand (tenant) id.'),
    campaign_id: column.id('Campaign id.'),
    name: column.string('Campaign name.'),
    channel: column.enum(['email', 'sms', 'push'], 'Channel the campaign sends on.'),
    status: column.enum(['draft', 'scheduled', 'running', 'completed', 'cancelled'], 'Lifecycle status.'),
    subject: column.string('Email subject or message title.').nullable(),
    scheduled_at: column.timestamp('When the campaign is scheduled to start.').nullable(),
    started_at: column.timestamp('When sending started.').nullable(),
    ended_at: column.timestamp('When sending ended.').nullable(),
    budget: column.decimal('Budget, in currency.').nullable(),
    currency: column.currency('ISO 4217 currency of budget.').nullable(),
    created_at: column.timestamp('When the campaign was created.'),
    updated_at: column.timestamp('When the campaign last changed.'),
  }),
  query: (db, brandId, window) =>
    db
      .selectFrom('campaigns')
      .select([
        'brand_id',
        'id as campaign_id',
        'name',
        'channel',
        'status',
        'subject',
        'scheduled_at',
        'started_at',
        'ended_at',
        'budget',
        'currency',
        'created_at',
        'updated_at',
      ])
      .where(changedDuring(brandId, window))
      .orderBy('id'),
})
