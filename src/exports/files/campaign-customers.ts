import { z } from 'zod'
import { column } from '../columns.ts'
import { changedDuring, defineExportFile } from '../export-file.ts'

const channel = ['email', 'sms', 'push'] as const
const status = ['queued', 'sent', 'delivered', 'opened', 'clicked', 'converted', 'bounced', 'failed'] as const

export const campaignCustomers = defineExportFile({
  name: 'campaign_customers',
  description: 'One row per customer a campaign addressed on a channel, with the message outcome so far.',
  key: ['brand_id', 'campaign_id', 'customer_id', 'channel'],
  window: 'messages created or changed during day D (queued, sent, delivered, opened, clicked, converted, ...)',
  row: z.object({
    brand_id: column.id('Brand (tenant) id.'),
    campaign_id: column.id('Campaign id.'),
    customer_id: column.id('Customer id, as the brand sends it.'),
    channel: column.enum(channel, 'Channel of the message.'),
    status: column.enum(status, 'Furthest status the message reached.'),
    sent_at: column.timestamp('When the message was sent.').nullable(),
    delivered_at: column.timestamp('When delivery was confirmed.').nullable(),
    opened_at: column.timestamp('First open.').nullable(),
    clicked_at: column.timestamp('First click.').nullable(),
    converted_at: column.timestamp('First attributed purchase.').nullable(),
    attributed_revenue: column.decimal('Revenue attributed to the message.').nullable(),
    currency: column.currency('ISO 4217 currency of attributed_revenue.').nullable(),
    updated_at: column.timestamp('When the row last changed.'),
  }),
  query: (db, brandId, window) =>
    db
      .selectFrom('campaign_messages')
      .select([
        'brand_id',
        'campaign_id',
        'customer_id',
        'channel',
        'status',
        'sent_at',
        'delivered_at',
        'opened_at',
        'clicked_at',
        'converted_at',
        'attributed_revenue',
        'currency',
        'updated_at',
      ])
      .where(changedDuring(brandId, window))
      .orderBy('campaign_id')
      .orderBy('customer_id')
      .orderBy('channel'),
})
