import { z } from 'zod'
import { column } from '../columns.ts'
import { changedDuring, defineExportFile } from '../export-file.ts'

export const optOuts = defineExportFile({
  name: 'opt_outs',
  description: 'One row per opt-out: a customer leaving a channel (or all channels).',
  key: ['brand_id', 'opt_out_id'],
  window:
    'opt-outs recorded or changed during day D (updated_at in the window); opted_out_at may be earlier when an opt-out arrives late',
  row: z.object({
    brand_id: column.id('Brand (tenant) id.'),
    opt_out_id: column.id('Opt-out id.'),
    customer_id: column.id('Customer id, as the brand sends it.'),
    channel: column.enum(['email', 'sms', 'push', 'all'], 'Channel opted out of; all for every channel.'),
    opted_out_at: column.timestamp('When the customer opted out.'),
    source: column.enum(
      ['unsubscribe_link', 'sms_stop', 'preference_center', 'support', 'import'],
      'How the opt-out reached us.',
    ),
    campaign_id: column.id('Campaign the opt-out came from, if any.').nullable(),
    created_at: column.timestamp('When the opt-out was recorded.'),
    updated_at: column.timestamp('When the row last changed.'),
  }),
  query: (db, brandId, window) =>
    db
      .selectFrom('opt_outs')
      .select([
        'brand_id',
        'id as opt_out_id',
        'customer_id',
        'channel',
        'opted_out_at',
        'source',
        'campaign_id',
        'created_at',
        'updated_at',
      ])
      .where(changedDuring(brandId, window))
      .orderBy('id'),
})
