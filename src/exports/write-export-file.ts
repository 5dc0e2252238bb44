import { createHash } from 'node:crypto'
import { pipeline, Readable, Transform } from 'node:stream'
import { createGzip } from 'node:zlib'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import Cursor from 'pg-cursor'
import type { DayWindow } from '../calendar/day-window.ts'
import type { Database } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import type { Destination } from '../storage/destination.ts'
import { describeColumns } from './columns.ts'
import { createRowCodec } from './csv-encoding.ts'
import type { AnyExportFile } from './export-file.ts'

/** A row that failed validation: kept out of the data file and written to quarantine. */
export interface QuarantinedRow {
  file_type: string
  key: Record<string, unknown>
  errors: { field: string; message: string }[]
  row: Record<string, unknown>
}

export interface WrittenFile {
  file_type: string
  path: string
  rows: number
  bytes: number
  sha256: string
  columns: string[]
  generation?: string
  crc32c?: string
  quarantined: QuarantinedRow[]
}

export interface WriteExportFileOptions {
  client: pg.PoolClient
  db: Kysely<Database>
  destination: Destination
  file: AnyExportFile
  brandId: string
  window: DayWindow
  path: string
  gzip: boolean
  chunkRows: number
  /** A file with more bad rows than this fails: a systematic problem, not a stray row. */
  maxQuarantinedRows: number
  metadata: Record<string, string>
  /** Called about every `progressEveryMs` with the rows written so far, for long files; awaited. */
  onProgress?: (rows: number) => void | Promise<void>
  progressEveryMs?: number
}

// Every value as PostgreSQL's text output: parsing into JS types and back costs more than the
// rest of the pipeline together (measured in bench/export.ts).
const rawText = { getTypeParser: () => (value: string) => value }

/**
 * Fastest zlib level: compression runs on libuv's thread pool beside the encoder, and level 1 keeps
 * it from becoming the bottleneck. Measured with bench:export --gzip at 1M rows: level 6 files
 * were 15% smaller, but the export took 27% longer.
 */
const gzipLevel = 1

/** Block size handed downstream: large enough that gzip and the disk see few, big writes. */
const blockChars = 64 * 1024

/**
 * Streams one export file: cursor -> decode -> zod validation -> CSV -> [gzip] -> destination,
 * with backpressure all the way. The next chunk of rows is requested before the current one is
 * encoded, so the database and Node work at the same time. Memory holds about two chunks.
 */
export async function writeExportFile(options: WriteExportFileOptions): Promise<WrittenFile> {
  const { file, client } = options
  const columns = describeColumns(file.row)
  const names = columns.map((c) => c.name)
  const codec = createRowCodec(columns)
  const compiled = file.query(options.db, options.brandId, options.window).compile()
  const cursor = client.query(
    new Cursor<(string | null)[]>(compiled.sql, compiled.parameters as unknown[], { rowMode: 'array', types: rawText }),
  )
  const quarantined: QuarantinedRow[] = []
  let rows = 0

  async function* csvBlocks(): AsyncGenerator<Buffer> {
    let block = codec.header
    let next = readChunk(cursor, options.chunkRows)
    let first = true
    const progressEveryMs = options.progressEveryMs ?? 10_000
    let nextProgress = performance.now() + progressEveryMs
    try {
      for (;;) {
        const chunk = await next
        if (first) {
          checkColumns(file.name, chunk.fields, names)
          first = false
        }
        if (chunk.rows.length === 0) break
        next = readChunk(cursor, options.chunkRows)
        if (options.onProgress && performance.now() >= nextProgress) {
          await options.onProgress(rows)
          nextProgress = performance.now() + progressEveryMs
        }
        for (const raw of chunk.rows) {
          const row = codec.decode(raw)
          const parsed = file.row.safeParse(row)
          if (parsed.success) {
            block += codec.encode(row)
            rows++
            if (block.length >= blockChars) {
              yield Buffer.from(block)
              block = ''
            }
          } else {
            quarantined.push(toQuarantined(file, row, parsed.error.issues))
            if (quarantined.length > options.maxQuarantinedRows) {
              throw new FlexError(
                'EXPORT_FAILED',
                `${file.name}: more than ${options.maxQuarantinedRows} rows failed validation; first: ${describeBadRow(quarantined[0] as QuarantinedRow)}`,
              )
            }
          }
        }
      }
      if (block.length > 0) yield Buffer.from(block)
    } finally {
      // On early exit a read may still be in flight; its outcome no longer matters.
      next.catch(() => {})
    }
  }

  const hash = createHash('sha256')
  let bytes = 0
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      bytes += chunk.length
      callback(null, chunk)
    },
  })
  const source = Readable.from(csvBlocks(), { objectMode: false })
  // pipeline() destroys every stage when one fails; the destination's write reports the error.
  const body = options.gzip
    ? pipeline(source, createGzip({ level: gzipLevel }), measure, ignore)
    : pipeline(source, measure, ignore)
  const written = await options.destination.write(options.path, body, {
    // text/csv for .csv.gz too: the object holds gzip bytes, and no Content-Encoding is set, so
    // GCS serves them as they are and readers decompress by the extension.
    contentType: 'text/csv; charset=utf-8',
    metadata: options.metadata,
    finalMetadata: () => ({ rows: String(rows), quarantined_rows: String(quarantined.length) }),
  })
  await cursor.close()
  return {
    file_type: file.name,
    path: options.path,
    rows,
    bytes,
    sha256: hash.digest('hex'),
    columns: names,
    ...(written.generation === undefined ? {} : { generation: written.generation }),
    ...(written.crc32c === undefined ? {} : { crc32c: written.crc32c }),
    quarantined,
  }
}

function ignore(): void {}

interface Chunk {
  rows: (string | null)[][]
  fields: { name: string }[]
}

function readChunk(cursor: Cursor<(string | null)[]>, count: number): Promise<Chunk> {
  return new Promise((resolve, reject) => {
    cursor.read(count, (error, rows, result) => {
      if (error) reject(error)
      else resolve({ rows, fields: (result as unknown as pg.QueryResult | undefined)?.fields ?? [] })
    })
  })
}

function checkColumns(fileType: string, fields: { name: string }[], expected: string[]): void {
  const actual = fields.map((f) => f.name)
  if (actual.join(',') !== expected.join(',')) {
    throw new Error(
      `${fileType}: the query selects [${actual.join(', ')}] but the row schema has [${expected.join(', ')}]`,
    )
  }
}

function toQuarantined(
  file: AnyExportFile,
  row: Record<string, unknown>,
  issues: readonly { path: PropertyKey[]; message: string }[],
): QuarantinedRow {
  return {
    file_type: file.name,
    key: Object.fromEntries(file.key.map((k) => [k, row[k]])),
    errors: issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message })),
    row,
  }
}

export function describeBadRow(bad: QuarantinedRow): string {
  const key = Object.entries(bad.key)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ')
  const errors = bad.errors.map((e) => `${e.field}: ${e.message}`).join('; ')
  return `${bad.file_type} row ${key}: ${errors}`
}
