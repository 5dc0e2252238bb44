import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { parse } from 'csv-parse'
import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import type { EntityDefinition } from './entity-definition.ts'
import { countIngestedRecords, type IngestMetrics } from './ingest-metrics.ts'
import { type PreparedBatch, prepareBatch } from './prepare-batch.ts'
import { parseRecordJson } from './record-json.ts'
import type { RuleBreach } from './record-outcome.ts'
import { storeBatch } from './store-batch.ts'

export interface FileIngestSummary {
  lines: number
  created: number
  updated: number
  unchanged: number
  stale: number
  rejected: number
  rejectsPath: string | undefined
}

export interface IngestFileOptions {
  db: Kysely<Database>
  brandId: string
  entity: EntityDefinition
  path: string
  /** Where rejected lines go, as NDJSON with line numbers and reasons. */
  rejectsPath: string
  batchSize?: number
  onProgress?: (summary: FileIngestSummary) => void
  /** Where each stored batch's outcomes are counted (unreadable lines as rejected); none by default. */
  metrics?: IngestMetrics | undefined
}

// CSV cells that hold JSON (nested or free-form data) and cells that hold booleans.
const jsonColumns = new Set(['items', 'attributes', 'properties'])
const booleanColumns = new Set(['email_consent', 'sms_consent'])

/**
 * Streams a CSV (header row, one record per row) or NDJSON file, optionally gzipped, into the
 * ingestion engine (prepareBatch, storeBatch) in batches. A line that cannot be read or fails
 * validation goes to the rejects file with its line number and reasons (and to the brand's
 * rejection log, without the line number); the rest are stored.
 * Memory holds two batches: one being stored, the next being prepared.
 */
export async function ingestFile(options: IngestFileOptions): Promise<FileIngestSummary> {
  const summary: FileIngestSummary = {
    lines: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    stale: 0,
    rejected: 0,
    rejectsPath: undefined,
  }
  const rejects = createWriteStream(options.rejectsPath)
  const reject = async (line: number, errors: { field: string; message: string }[]) => {
    summary.rejected++
    summary.rejectsPath = options.rejectsPath
    if (!rejects.write(`${JSON.stringify({ line, errors })}\n`)) await once(rejects, 'drain')
  }
  const batchSize = options.batchSize ?? 5_000
  // Unreadable lines wait in the batch too, so the rejects file lists lines in file order.
  const store = async (items: ReadItem[], readable: { line: number }[], prepared: PreparedBatch) => {
    const unreadable = items.flatMap((item) =>
      'error' in item ? [{ line: item.line, errors: [unreadableLine(item.error)] }] : [],
    )
    const { outcomes } = await storeBatch(options.db, options.brandId, prepared, { source: 'file', unreadable })
    const errors = new Map<number, { field: string; message: string }[]>()
    countIngestedRecords(options.metrics, options.entity.type, outcomes, items.length - readable.length)
    for (const item of unreadable)
      errors.set(
        item.line,
        item.errors.map(({ field, message }) => ({ field, message })),
      )
    for (const outcome of outcomes) {
      const line = (readable[outcome.index] as { line: number }).line
      if (outcome.outcome === 'rejected') errors.set(line, outcome.errors)
      else summary[outcome.outcome]++
    }
    for (const line of [...errors.keys()].sort((a, b) => a - b)) await reject(line, errors.get(line) ?? [])
    options.onProgress?.(summary)
  }
  // The next batch is read, validated and serialized while the database stores the current one;
  // batches are stored strictly in file order, so a record that appears twice ends in its later
  // version.
  // A batch holds each id once: a record that appears again starts the next batch, so that its
  // later version is an ordinary update instead of a duplicate.
  let batch: ReadItem[] = []
  let batchIds = new Set<unknown>()
  let storing: Promise<void> = Promise.resolve()
  const flush = async () => {
    const items = batch
    batch = []
    batchIds = new Set()
    const readable = items.filter((item): item is Extract<ReadItem, { record: unknown }> => 'record' in item)
    const prepared = await prepareBatch(
      options.entity,
      readable.map((item) => item.record),
    )
    await storing
    storing = items.length > 0 ? store(items, readable, prepared) : Promise.resolve()
    // Its failure is awaited (and thrown) at the next flush; this only keeps it from counting as
    // unhandled while the next batch is read.
    storing.catch(() => {})
  }
  try {
    for await (const item of readRecords(options.path)) {
      summary.lines++
      const id = 'record' in item ? (item.record as { id?: unknown } | null)?.id : undefined
      if (id !== undefined && batchIds.has(id)) await flush()
      if (id !== undefined) batchIds.add(id)
      batch.push(item)
      if (batch.length >= batchSize) await flush()
    }
    await flush()
    await storing
  } finally {
    rejects.end()
    await once(rejects, 'close')
  }
  return summary
}

type ReadItem = { line: number; record: unknown } | { line: number; error: string }

/** A line that is no record (malformed JSON or CSV, a cell that cannot be read): its one error. */
function unreadableLine(message: string): RuleBreach {
  return { field: '(line)', rule: 'unreadable', message }
}

function open(path: string): Readable {
  const file = createReadStream(path)
  return path.endsWith('.gz') ? file.pipe(createGunzip()) : file
}

async function* readRecords(path: string): AsyncGenerator<ReadItem> {
  const plain = path.replace(/\.gz$/, '')
  if (plain.endsWith('.ndjson') || plain.endsWith('.jsonl')) yield* readNdjson(open(path))
  else if (plain.endsWith('.csv')) yield* readCsv(open(path))
  else throw new Error(`unknown file type "${path}": use .csv, .ndjson or .jsonl, optionally .gz`)
}

async function* readNdjson(input: Readable): AsyncGenerator<ReadItem> {
  let line = 0
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++
    if (text.trim() === '') continue
    try {
      yield { line, record: parseRecordJson(text) }
    } catch (error) {
      yield { line, error: `malformed JSON: ${(error as Error).message}` }
    }
  }
}

async function* readCsv(input: Readable): AsyncGenerator<ReadItem> {
  const parser = input.pipe(parse({ columns: true, info: true, bom: true, skip_empty_lines: true }))
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>
      info: { lines: number }
    }>) {
      try {
        yield { line: info.lines, record: csvRecord(record) }
      } catch (error) {
        yield { line: info.lines, error: (error as Error).message }
      }
    }
  } catch (error) {
    // A malformed CSV (an unclosed quote, a row with too many fields) stops the parser.
    yield { line: (error as { lines?: number }).lines ?? 0, error: `malformed CSV: ${(error as Error).message}` }
  }
}

/** CSV cells are text: empty means absent, JSON columns are parsed, booleans are true/false. */
function csvRecord(row: Record<string, string>): Record<string, unknown> {
  const record: Record<string, unknown> = {}
  for (const [column, value] of Object.entries(row)) {
    if (value === '') continue
    if (jsonColumns.has(column)) {
      try {
        record[column] = parseRecordJson(value)
      } catch {
        throw new Error(`${column}: must be JSON`)
      }
    } else if (booleanColumns.has(column)) {
      if (value !== 'true' && value !== 'false') throw new Error(`${column}: must be true or false`)
      record[column] = value === 'true'
    } else {
      record[column] = value
    }
  }
  return record
}
