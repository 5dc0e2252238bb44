import type { Destination } from '../storage/destination.ts'
import { exportSchemaVersion } from './files/index.ts'
import { readManifest } from './manifest.ts'

export type DayStatus = { complete: true } | { complete: false; reason: string }

/**
 * Whether a brand-day is complete in the destination and matches what an export now would
 * write: its manifest exists, has the current schema version and compression, and every file it
 * lists is there with the listed size (and, where the destination versions objects, generation).
 */
export async function dayStatus(
  destination: Destination,
  brandId: string,
  date: string,
  gzip: boolean,
): Promise<DayStatus> {
  let manifest: Awaited<ReturnType<typeof readManifest>>
  try {
    manifest = await readManifest(destination, brandId, date)
  } catch (error) {
    return { complete: false, reason: `unreadable manifest: ${(error as Error).message}` }
  }
  if (!manifest) return { complete: false, reason: 'no manifest' }
  if (manifest.schema_version !== exportSchemaVersion) {
    return { complete: false, reason: `schema version ${manifest.schema_version}, now ${exportSchemaVersion}` }
  }
  if (manifest.gzip !== gzip) return { complete: false, reason: gzip ? 'not gzipped' : 'gzipped' }
  for (const file of manifest.files) {
    const stat = await destination.stat(file.path)
    if (!stat) return { complete: false, reason: `${file.path} is missing` }
    if (stat.bytes !== file.bytes)
      return { complete: false, reason: `${file.path} has ${stat.bytes} bytes, not ${file.bytes}` }
    if (file.generation !== undefined && stat.generation !== file.generation) {
      return { complete: false, reason: `${file.path} was replaced (generation ${stat.generation})` }
    }
  }
  return { complete: true }
}
