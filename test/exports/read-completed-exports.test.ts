import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { exportDay } from '../../src/exports/export-day.ts'
import { startRun } from '../../src/exports/export-runs.ts'
import { manifestPath } from '../../src/exports/layout.ts'
import { readManifest, sha256 } from '../../src/exports/manifest.ts'
import { readCompletedExports } from '../../src/exports/read-completed-exports.ts'
import type { Destination } from '../../src/storage/destination.ts'
import { addBrand, addCampaign, silentLog, tempFolder } from '../support/fixtures.ts'
import { queryCounter } from '../support/query-counter.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db

const brand = { id: 'done', timezone: 'Europe/Berlin' }
const run = (destination: Destination, date: string, gzip = false) =>
  exportDay({ database: database.current.handle, destination, brand, date, gzip, log: silentLog })

/** A destination whose writes fail, as a bucket that went away. */
function failing(destination: Destination): Destination {
  return Object.assign(Object.create(destination), {
    write: async () => {
      throw new Error('bucket gone')
    },
  })
}

beforeAll(async () => {
  await addBrand(db(), brand.id, brand.timezone)
  await addCampaign(db(), { brand_id: 'done', id: 'c1', updated_at: '2026-06-15T10:00:00Z' })
  await addCampaign(db(), { brand_id: 'done', id: 'c2', updated_at: '2026-06-16T10:00:00Z' })
})

describe('readCompletedExports', () => {
  it("gives a completed day's files with the rows, bytes and checksums of the manifest it wrote", async () => {
    const folder = await tempFolder()
    const { manifest } = await run(folder, '2026-06-15', true)
    const written = await readManifest(folder, 'done', '2026-06-15')
    expect(written).toEqual(manifest)
    const completed = await readCompletedExports(db(), [manifest.run_id])
    expect(completed.get(manifest.run_id)).toEqual({
      brand_id: 'done',
      date: '2026-06-15',
      timezone: 'Europe/Berlin',
      manifest_path: manifestPath('done', '2026-06-15'),
      files: written?.files.map(({ file_type, path, rows, bytes, sha256 }) => ({
        file_type,
        path,
        rows,
        bytes,
        sha256,
      })),
    })
    const files = completed.get(manifest.run_id)?.files ?? []
    expect(files.map((f) => f.file_type)).toContain('campaigns')
    expect(files.find((f) => f.file_type === 'campaigns')?.rows).toBe(1)
    // The checksums are those of the files in the destination.
    for (const file of files) {
      const bytes = await folder.read(file.path)
      expect(bytes && sha256(bytes)).toBe(file.sha256)
      expect(bytes?.length).toBe(file.bytes)
    }
  })

  it('reads any number of runs in one query, each with its own day', async () => {
    const folder = await tempFolder()
    const first = await run(folder, '2026-06-15')
    const second = await run(folder, '2026-06-16')
    const counter = queryCounter()
    const completed = await readCompletedExports(db().withPlugin(counter), [
      first.manifest.run_id,
      second.manifest.run_id,
      first.manifest.run_id,
    ])
    expect(counter.count).toBe(1)
    expect(completed.get(first.manifest.run_id)?.date).toBe('2026-06-15')
    expect(completed.get(second.manifest.run_id)?.date).toBe('2026-06-16')
    expect(completed.size).toBe(2)
  })

  it('gives nothing for a failed run, a running one, an unknown id, or a string that is no run id', async () => {
    const folder = await tempFolder()
    const failedId = randomUUID()
    await expect(
      exportDay({
        database: database.current.handle,
        destination: failing(folder),
        brand,
        date: '2026-06-17',
        log: silentLog,
        runId: failedId,
      }),
    ).rejects.toThrow(/bucket gone/)
    const runningId = randomUUID()
    await startRun(db(), {
      id: runningId,
      brandId: 'done',
      date: '2026-06-18',
      trigger: 'manual',
      destination: folder.description,
      at: new Date(),
    })
    const { manifest } = await run(folder, '2026-06-19')
    const asked = [failedId, runningId, randomUUID(), manifest.run_id.toUpperCase(), 'not-a-run', '', "x'\u0000"]
    expect(await readCompletedExports(db(), asked)).toEqual(new Map())
    expect(await readCompletedExports(db(), [])).toEqual(new Map())
  })

  it('keeps a manifest only on a succeeded run, and never one without its path', async () => {
    const folder = await tempFolder()
    const failedId = randomUUID()
    await expect(
      exportDay({
        database: database.current.handle,
        destination: failing(folder),
        brand,
        date: '2026-06-20',
        log: silentLog,
        runId: failedId,
      }),
    ).rejects.toThrow(/bucket gone/)
    const keep = (id: string, path: string | null) =>
      db().updateTable('export_runs').set({ manifest: '{}', manifest_path: path }).where('id', '=', id).execute()
    await expect(keep(failedId, 'done/_manifests/dt=2026-06-20.json')).rejects.toThrow(/export_runs_manifest_check/)
    const { manifest } = await run(folder, '2026-06-21')
    await expect(keep(manifest.run_id, null)).rejects.toThrow(/export_runs_manifest_check/)
  })
})
