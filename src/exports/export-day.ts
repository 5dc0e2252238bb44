import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type pg from 'pg'
import { type DayWindow, dayWindow } from '../calendar/day-window.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import type { Brand } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { appendOutboxEvents } from '../outbox/append-outbox-events.ts'
import type { Destination } from '../storage/destination.ts'
import type { AnyExportFile } from './export-file.ts'
import type { ExportMetrics } from './export-metrics.ts'
import {
  type ExportRun,
  type ExportTrigger,
  exportCompletedEventType,
  exportLockClass,
  exportLockKey,
  finishRun,
  type RunProgress,
  recordProgress,
  startRun,
} from './export-runs.ts'
import { exportFiles, exportSchemaVersion } from './files/index.ts'
import { dataFolder, dataPath, manifestPath, quarantineFolder, quarantinePath } from './layout.ts'
import { type Manifest, writeManifest } from './manifest.ts'
import { describeBadRow, type WrittenFile, writeExportFile } from './write-export-file.ts'

export interface ExportDayOptions {
  database: DatabaseHandle
  destination: Destination
  brand: Pick<Brand, 'id' | 'timezone'>
  /** The brand's local calendar date, YYYY-MM-DD. */
  date: string
  gzip?: boolean
  log: Logger
  chunkRows?: number
  maxQuarantinedRows?: number
  runId?: string
  files?: readonly AnyExportFile[]
  now?: () => Date
  /** Recorded in export_runs: who asked for this run. */
  trigger?: ExportTrigger
  /** How often a file in progress records its rows so far in the run's row (default 10 s). */
  progressEveryMs?: number
  /** Where the run's duration and rows are recorded once it is recorded in export_runs; none by default. */
  metrics?: ExportMetrics | undefined
}

export interface ExportDayResult {
  manifest: Manifest
  manifestPath: string
  rows: number
  bytes: number
  quarantinedRows: number
}

/**
 * Exports one brand-day and records the attempt in export_runs. Only one process exports a
 * brand-day at a time (a PostgreSQL advisory lock held for the whole run); a second one fails at
 * once with EXPORT_IN_PROGRESS and touches nothing.
 *
 * Order: lock; remove the day's manifest (the day is incomplete from here on); write every file
 * from one consistent database snapshot; remove files a previous run left that this one did not
 * write; write the manifest. A failure leaves the day without a manifest.
 */
export async function exportDay(options: ExportDayOptions): Promise<ExportDayResult> {
  const { finished } = await startExportDay(options)
  return finished
}

/** A brand-day's export whose run is recorded: the run as recorded, and the export itself, under way. */
export interface StartedExportDay {
  run: ExportRun
  finished: Promise<ExportDayResult>
}

/**
 * exportDay in two steps, for callers that answer before the export ends (POST .../runs): resolves
 * once the run is recorded as running, with `finished` settling as exportDay would.
 */
export async function startExportDay(options: ExportDayOptions): Promise<StartedExportDay> {
  const runId = options.runId ?? randomUUID()
  const files = options.files ?? exportFiles
  const now = options.now ?? (() => new Date())
  const trigger = options.trigger ?? 'manual'
  // Measured on the monotonic clock: `now` may be a test's simulated one.
  const started = performance.now()
  const run = await startRun(options.database.db, {
    at: now(),
    id: runId,
    brandId: options.brand.id,
    date: options.date,
    trigger,
    destination: options.destination.description,
    filesTotal: files.length,
  })
  return { run, finished: runStartedExport({ ...options, files, runId, now, trigger, started }) }
}

async function runStartedExport(
  options: ExportDayOptions & {
    runId: string
    now: () => Date
    files: readonly AnyExportFile[]
    trigger: ExportTrigger
    /** performance.now() when the run started, for its duration in the metrics. */
    started: number
  },
): Promise<ExportDayResult> {
  const { runId, now, trigger } = options
  const { db } = options.database
  const seconds = () => (performance.now() - options.started) / 1_000
  try {
    const result = await exportLockedDay(options)
    // The run's success and its EXPORTS.DAILY.COMPLETED event are one fact: one transaction. The
    // event names the run; the run keeps the manifest, from which the webhooks render the event's
    // data when they deliver it (readCompletedExports), as they render an entity's.
    await db.transaction().execute(async (trx) => {
      await finishRun(trx, runId, now(), {
        files: result.manifest.files.length,
        rows: result.rows,
        bytes: result.bytes,
        quarantinedRows: result.quarantinedRows,
        manifest: result.manifest,
        manifestPath: result.manifestPath,
      })
      await appendOutboxEvents(trx, options.brand.id, [
        { eventType: exportCompletedEventType, entityType: 'export_runs', entityId: runId },
      ])
    })
    options.metrics?.runEnded(trigger, 'succeeded', seconds())
    for (const file of result.manifest.files) options.metrics?.fileExported(file.file_type, file.rows)
    return result
  } catch (error) {
    await finishRun(db, runId, now(), { error: (error as Error).message })
    options.metrics?.runEnded(trigger, 'failed', seconds())
    throw error
  }
}

async function exportLockedDay(
  options: ExportDayOptions & { runId: string; now: () => Date; files: readonly AnyExportFile[] },
): Promise<ExportDayResult> {
  const { brand, date, destination, database, runId, now, files } = options
  const gzip = options.gzip ?? false
  const window = dayWindow(date, brand.timezone)
  const log = options.log.child({ brand: brand.id, date, run_id: runId })

  const client = await database.pool.connect()
  // pg emits 'error' on a checked-out client whose connection dies (server restart, a killed
  // backend); unheard, that would crash the process. The pending query fails with the cause too.
  const onConnectionError = (error: Error) => log.error({ err: error }, 'database connection lost during export')
  client.on('error', onConnectionError)
  let failure: unknown
  try {
    // One snapshot for all files, and the session settings the raw-text decoding relies on. The
    // transaction stays open until the manifest is written, holding the brand-day's lock.
    await client.query('begin isolation level repeatable read, read only')
    await client.query(`set local timezone = 'UTC'; set local datestyle = 'ISO, YMD'`)
    const lock = await client.query<{ locked: boolean }>(
      `select pg_try_advisory_xact_lock(hashtext($1), hashtext($2)) as locked`,
      [exportLockClass, exportLockKey(brand.id, date)],
    )
    if (!lock.rows[0]?.locked) {
      throw new FlexError('EXPORT_IN_PROGRESS', `brand ${brand.id}, ${date} is being exported by another process`)
    }
    await destination.delete(manifestPath(brand.id, date))

    const written: WrittenFile[] = []
    const report = progressReporter(options)
    for (const file of files) {
      const rowsBefore = sum(written.map((f) => f.rows))
      const recordRows = (rows: number) => report({ filesWritten: written.length, rowsWritten: rowsBefore + rows })
      written.push(await writeFile(client, options, file, window, gzip, log, recordRows))
      await report({ filesWritten: written.length, rowsWritten: sum(written.map((f) => f.rows)) })
    }
    const quarantine = await writeQuarantine(destination, brand.id, date, written)
    await removeLeftovers(
      destination,
      [...files.map((f) => dataFolder(brand.id, f.name, date)), quarantineFolder(brand.id, date)],
      new Set([...written.map((f) => f.path), ...quarantine.map((q) => q.path)]),
    )
    const manifest: Manifest = {
      schema_version: exportSchemaVersion,
      brand_id: brand.id,
      date,
      timezone: brand.timezone,
      window: { start: window.start.toISOString(), end: window.end.toISOString() },
      run_id: runId,
      generated_at: now().toISOString(),
      gzip,
      files: written.map(({ quarantined, ...file }) => ({ ...file, quarantined_rows: quarantined.length })),
      quarantine,
    }
    const path = await writeManifest(destination, manifest).catch((error: Error) => {
      throw new FlexError(
        'EXPORT_FAILED',
        `writing the manifest of brand ${brand.id}, ${date} (${destination.description}/${manifestPath(brand.id, date)}) failed: ${error.message}`,
        { cause: error },
      )
    })
    await client.query('commit')
    const result = {
      manifest,
      manifestPath: path,
      rows: sum(written.map((f) => f.rows)),
      bytes: sum(written.map((f) => f.bytes)),
      quarantinedRows: sum(quarantine.map((q) => q.rows)),
    }
    log.info(
      { manifest: path, rows: result.rows, bytes: result.bytes, quarantined: result.quarantinedRows },
      'export day complete',
    )
    return result
  } catch (error) {
    failure = error
    throw error
  } finally {
    client.off('error', onConnectionError)
    // A failed cursor can leave the connection mid-protocol: throw it away rather than reuse it.
    client.release(failure instanceof Error ? failure : undefined)
  }
}

/**
 * Records the run's progress in its row as it goes. Not on the embedded database: its one
 * connection is the export's until the export ends, so a second writer would wait for it forever.
 */
function progressReporter(
  options: ExportDayOptions & { runId: string; now: () => Date },
): (progress: RunProgress) => Promise<void> {
  if (options.database.embedded) return async () => {}
  return (progress) => recordProgress(options.database.db, options.runId, options.now(), progress)
}

async function writeFile(
  client: pg.PoolClient,
  options: ExportDayOptions & { runId: string },
  file: AnyExportFile,
  window: DayWindow,
  gzip: boolean,
  log: Logger,
  recordRows: (rows: number) => Promise<void>,
): Promise<WrittenFile> {
  const { brand, date, destination } = options
  const started = performance.now()
  const path = dataPath(brand.id, file.name, date, gzip)
  try {
    const result = await writeExportFile({
      client,
      db: options.database.db,
      destination,
      file,
      brandId: brand.id,
      window,
      path,
      gzip,
      chunkRows: options.chunkRows ?? 1_000,
      maxQuarantinedRows: options.maxQuarantinedRows ?? 10_000,
      metadata: { run_id: options.runId, schema_version: String(exportSchemaVersion) },
      ...(options.progressEveryMs === undefined ? {} : { progressEveryMs: options.progressEveryMs }),
      onProgress: async (rows) => {
        const seconds = (performance.now() - started) / 1000
        log.info({ file: file.name, rows, rows_per_s: Math.round(rows / seconds) }, 'export file in progress')
        await recordRows(rows)
      },
    })
    const ms = Math.round(performance.now() - started)
    log.info(
      { file: file.name, rows: result.rows, bytes: result.bytes, ms, quarantined: result.quarantined.length },
      'export file written',
    )
    for (const bad of result.quarantined) log.warn({ file: file.name, key: bad.key }, describeBadRow(bad))
    return result
  } catch (error) {
    throw new FlexError(
      'EXPORT_FAILED',
      `export of brand ${brand.id}, ${date}, file ${file.name} (${destination.description}/${path}) failed: ${(error as Error).message}`,
      { cause: error },
    )
  }
}

async function writeQuarantine(
  destination: Destination,
  brandId: string,
  date: string,
  written: WrittenFile[],
): Promise<Manifest['quarantine']> {
  const quarantine: Manifest['quarantine'] = []
  for (const file of written.filter((f) => f.quarantined.length > 0)) {
    const path = quarantinePath(brandId, file.file_type, date)
    const lines = file.quarantined.map((bad) => `${JSON.stringify(bad)}\n`).join('')
    await destination.write(path, Readable.from([Buffer.from(lines)]), { contentType: 'application/x-ndjson' })
    quarantine.push({ file_type: file.file_type, path, rows: file.quarantined.length })
  }
  return quarantine
}

/** Deletes objects in the day's folders that this run did not write (e.g. .csv after a --gzip re-run). */
async function removeLeftovers(destination: Destination, folders: string[], keep: Set<string>): Promise<void> {
  for (const folder of folders) {
    for (const path of await destination.list(folder)) {
      if (!keep.has(path)) await destination.delete(path)
    }
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0)
}
