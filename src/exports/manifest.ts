import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { z } from 'zod'
import type { Destination } from '../storage/destination.ts'
import { manifestPath } from './layout.ts'

// The manifest is the contract that a brand-day is complete: written after every data file,
// listing each with its size and checksum. A day without a manifest is incomplete.

const manifestFileSchema = z.object({
  file_type: z.string(),
  /** Relative to the destination root. */
  path: z.string(),
  rows: z.int().min(0),
  bytes: z.int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  columns: z.array(z.string()),
  /** Rows of this file type that failed validation and went to quarantine instead. */
  quarantined_rows: z.int().min(0),
  /** GCS only: the object generation this manifest vouches for, and its CRC32C (base64). */
  generation: z.string().optional(),
  crc32c: z.string().optional(),
})

export const manifestSchema = z.object({
  schema_version: z.int().min(1),
  brand_id: z.string(),
  date: z.iso.date(),
  timezone: z.string(),
  window: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }),
  run_id: z.string(),
  generated_at: z.iso.datetime(),
  gzip: z.boolean(),
  files: z.array(manifestFileSchema),
  quarantine: z.array(z.object({ file_type: z.string(), path: z.string(), rows: z.int().min(1) })),
})

export type Manifest = z.infer<typeof manifestSchema>
export type ManifestFile = z.infer<typeof manifestFileSchema>

export async function writeManifest(destination: Destination, manifest: Manifest): Promise<string> {
  const path = manifestPath(manifest.brand_id, manifest.date)
  const body = `${JSON.stringify(manifest, null, 2)}\n`
  await destination.write(path, Readable.from([Buffer.from(body)]), { contentType: 'application/json' })
  return path
}

/** The day's manifest, or undefined when the day has none (never exported, or incomplete). */
export async function readManifest(
  destination: Destination,
  brandId: string,
  date: string,
): Promise<Manifest | undefined> {
  const bytes = await destination.read(manifestPath(brandId, date))
  if (bytes === undefined) return undefined
  return manifestSchema.parse(JSON.parse(bytes.toString('utf8')))
}

export interface ManifestProblem {
  path: string
  problem: string
}

/** Checks that every file the manifest lists exists with the listed size and checksum. */
export async function verifyManifest(destination: Destination, manifest: Manifest): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = []
  for (const file of manifest.files) {
    const bytes = await destination.read(file.path)
    if (bytes === undefined) problems.push({ path: file.path, problem: 'missing' })
    else if (bytes.length !== file.bytes)
      problems.push({ path: file.path, problem: `size ${bytes.length} != ${file.bytes}` })
    else if (sha256(bytes) !== file.sha256) problems.push({ path: file.path, problem: 'sha256 mismatch' })
  }
  return problems
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}
