import { z } from 'zod'
import { column } from '../columns.ts'
import { changedDuring, defineExportFile } from '../export-file.ts'

export const linkStats = defineExportFile({
  name: 'link_stats',
  description: 'Clicks per tracked campaign link and calendar day.',
  key: ['brand_id', 'link_id', 'stat_date'],
  window:
    'daily link statistics created or changed during day D; a stat_date keeps receiving late clicks, so its row reappears on each day it changes',
  row: z.object({
    brand_id: column.id('Brand (tenant) id.'),
    link_id: column.id('Tracked link id.'),
    campaign_id: column.id('Campaign the link belongs to.'),
    url: column.string('Destination URL.'),
    stat_date: column.date('Day the clicks happened, in the brand timezone.'),
    clicks: column.integer('Clicks on stat_date.'),
    unique_clicks: column.integer('Distinct customers who clicked on stat_date.'),
    updated_at: column.timestamp('When the row last changed.'),
  }),
  query: (db, brandId, window) =>
    db
      .selectFrom('link_daily_stats as s')
      .innerJoin('links as l', (join) => join.onRef('l.brand_id', '=', 's.brand_id').onRef('l.id', '=', 's.link_id'))
      .select([
        's.brand_id',
        's.link_id',
        'l.campaign_id',
        'l.url',
        's.stat_date',
        's.clicks',
        's.unique_clicks',
        's.updated_at',
      ])
      .where(changedDuring(brandId, window, 's'))
      .orderBy('s.link_id')
      .orderBy('s.stat_date'),
})
