import { z } from 'zod'
import { column } from '../columns.ts'
import { changedDuring, defineExportFile } from '../export-file.ts'

export const campaignSkus = defineExportFile({
  name: 'campaign_skus',
  description: 'One row per product (SKU) a campaign features, discounts or recommends.',
  key: ['brand_id', 'campaign_id', 'sku'],
  window: 'campaign SKUs added or changed during day D',
  row: z.object({
    brand_id: column.id('Brand (tenant) id.'),
    campaign_id: column.id('Campaign id.'),
    sku: column.id('Product SKU, as the brand sends it.'),
    role: column.enum(['featured', 'discounted', 'recommended'], 'What the campaign does with the SKU.'),
    discount_percent: column.decimal('Discount in percent, for discounted SKUs.').nullable(),
    created_at: column.timestamp('When the SKU was added to the campaign.'),
    updated_at: column.timestamp('When the row last changed.'),
  }),
  query: (db, brandId, window) =>
    db
      .selectFrom('campaign_skus')
      .select(['brand_id', 'campaign_id', 'sku', 'role', 'discount_percent', 'created_at', 'updated_at'])
      .where(changedDuring(brandId, window))
      .orderBy('campaign_id')
      .orderBy('sku'),
})
