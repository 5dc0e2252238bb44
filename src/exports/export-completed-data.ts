import { z } from 'zod'
import { manifestSchema } from './manifest.ts'

// The `data` of EXPORTS.DAILY.COMPLETED: the brand-day's manifest in short, so that a pipeline can
// start on the day instead of polling. Field names and types are the manifest's own. The exports
// feature owns it (the webhooks publish and deliver it), as the ingestion feature owns its
// stored-entity schemas.

const manifest = manifestSchema.shape
const manifestFile = manifest.files.element.shape

const fileSummary = {
  file_type: manifestFile.file_type,
  path: manifestFile.path,
  rows: manifestFile.rows,
  bytes: manifestFile.bytes,
  sha256: manifestFile.sha256,
}

export const exportCompletedData = z
  .strictObject({
    brand_id: manifest.brand_id,
    date: manifest.date.meta({ description: "The brand-local day, YYYY-MM-DD, in the brand's timezone" }),
    timezone: manifest.timezone.meta({ description: "The brand's IANA timezone" }),
    manifest_path: z.string().meta({ description: "The manifest's path, relative to the destination root" }),
    files: z.array(z.strictObject(fileSummary)),
  })
  .meta({ description: "The brand-day's manifest in short: every file with its rows, bytes and checksum" })

export type ExportCompletedData = z.infer<typeof exportCompletedData>

/**
 * The part of a manifest that the event needs. A manifest a run kept is read with this, not with
 * the whole manifest's schema, so that one kept before the manifest gained a field still reads.
 */
export const manifestSummary = z.object({
  brand_id: manifest.brand_id,
  date: manifest.date,
  timezone: manifest.timezone,
  files: z.array(z.object(fileSummary)),
})

export type ManifestSummary = z.infer<typeof manifestSummary>

/** The `data` of EXPORTS.DAILY.COMPLETED for a manifest written at `manifestPath`. */
export function exportCompletedEventData(written: ManifestSummary, manifestPath: string): ExportCompletedData {
  return {
    brand_id: written.brand_id,
    date: written.date,
    timezone: written.timezone,
    manifest_path: manifestPath,
    files: written.files.map(({ file_type, path, rows, bytes, sha256 }) => ({ file_type, path, rows, bytes, sha256 })),
  }
}
