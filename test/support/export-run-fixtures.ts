import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/database.ts'
import { type ExportTrigger, finishRun, startRun } from '../../src/exports/export-runs.ts'
import { manifestPath } from '../../src/exports/layout.ts'
import type { Manifest } from '../../src/exports/manifest.ts'
import type { Destination, WriteOptions } from '../../src/storage/destination.ts'

/** A checksum for seeded manifests. */
export const seededSha256 = 'a'.repeat(64)

/**
 * Records a run of a brand-day through the run history's own functions, at given times: still
 * running (no end), failed (an error) or succeeded with one campaigns file of `rows` rows.
 */
export async function seedRun(
  db: Kysely<Database>,
  brandId: string,
  date: string,
  run: { trigger?: ExportTrigger; start: string; end?: string; error?: string; rows?: number; destination?: string },
): Promise<string> {
  const id = randomUUID()
  await startRun(db, {
    id,
    brandId,
    date,
    trigger: run.trigger ?? 'schedule',
    destination: run.destination ?? 'gs://bucket/exports',
    at: new Date(run.start),
  })
  if (run.end === undefined) return id
  if (run.error !== undefined) {
    await finishRun(db, id, new Date(run.end), { error: run.error })
    return id
  }
  const rows = run.rows ?? 3
  const manifest: Manifest = {
    schema_version: 1,
    brand_id: brandId,
    date,
    timezone: 'Europe/Berlin',
    window: { start: `${date}T00:00:00.000Z`, end: `${date}T23:00:00.000Z` },
    run_id: id,
    generated_at: new Date(run.end).toISOString(),
    gzip: true,
    files: [
      {
        file_type: 'campaigns',
        path: `${brandId}/campaigns/dt=${date}/campaigns.csv.gz`,
        rows,
        bytes: 100 + rows,
        sha256: seededSha256,
        columns: ['id'],
        quarantined_rows: 0,
      },
    ],
    quarantine: [],
  }
  await finishRun(db, id, new Date(run.end), {
    files: 1,
    rows,
    bytes: 100 + rows,
    quarantinedRows: 0,
    manifest,
    manifestPath: manifestPath(brandId, date),
  })
  return id
}

/**
 * A destination whose writes wait while its gate is closed: an export run stays under way for as
 * long as a test needs one. Everything else is the wrapped destination's.
 */
export function gatedDestination(destination: Destination): { destination: Destination; close(): void; open(): void } {
  let opened: Promise<void> = Promise.resolve()
  let release = () => {}
  const gated: Destination = Object.assign(Object.create(destination), {
    async write(path: string, body: Readable, options: WriteOptions) {
      await opened
      return destination.write(path, body, options)
    },
  })
  return {
    destination: gated,
    close() {
      opened = new Promise<void>((resolve) => {
        release = resolve
      })
    },
    open() {
      release()
      opened = Promise.resolve()
    },
  }
}
