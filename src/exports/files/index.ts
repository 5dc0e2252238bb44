import type { AnyExportFile } from '../export-file.ts'
import { campaignCustomers } from './campaign-customers.ts'
import { campaignSkus } from './campaign-skus.ts'
import { campaigns } from './campaigns.ts'
import { linkStats } from './link-stats.ts'
import { optOuts } from './opt-outs.ts'

/** Every export file type, in the order a day writes them. Adding a file type: one module, one line. */
export const exportFiles: readonly AnyExportFile[] = [campaigns, campaignCustomers, campaignSkus, optOuts, linkStats]

/**
 * Bumped on any change to any file's columns (only ever appended at the end) or to the layout,
 * and recorded in every manifest.
 */
export const exportSchemaVersion = 1
