import { recordContentHash } from './content-hash.ts'
import type { EntityDefinition } from './entity-definition.ts'
import { type Rejection, storableText } from './record-outcome.ts'
import { rejectionMessage, rejectionRule } from './rejection-message.ts'
import { type SourceTime, sourceTime } from './source-time.ts'

/** A batch validated and serialized, ready to store: everything that needs no database. */
export interface PreparedBatch {
  readonly entity: EntityDefinition
  /** Records rejected by validation or as repeats in the batch. */
  readonly rejected: Rejection[]
  readonly records: PreparedRecord[]
  /** The row's columns, in the order of every `row` below, and likewise for child rows. */
  readonly columns: string[]
  readonly childColumns: string[]
}

export interface PreparedRecord {
  index: number
  id: string
  /** The source's modification time, to the microsecond (what the column keeps). */
  updatedAt: SourceTime
  hash: string
  /** JSON objects, for jsonb_to_recordset: the table row, its child rows, its references. */
  row: string
  children: string[]
  references: { targetType: string; json: string }[]
}

/** Records prepared between yields to the event loop. */
const recordsPerSlice = 50

/**
 * Validates and serializes a batch (CPU only). Kept apart from storeBatch so that callers can
 * prepare the next batch while the database stores the current one, and so that no CPU work
 * happens while the brand's ingest lock is held. It yields to the event loop every 50 records
 * (about 1 ms): a whole batch takes tens of milliseconds of CPU, and the batch being stored must
 * not wait that long for each of its query results to be read.
 */
export async function prepareBatch(entity: EntityDefinition, input: readonly unknown[]): Promise<PreparedBatch> {
  const rejected: Rejection[] = []
  const records: PreparedRecord[] = []
  let columns: string[] | undefined
  let childColumns: string[] | undefined
  const seen = new Set<string>()
  for (let index = 0; index < input.length; index++) {
    if (index > 0 && index % recordsPerSlice === 0) await new Promise(setImmediate)
    const raw = input[index]
    // reportInput: the rule of a type issue depends on whether there was a value (rejectionRule).
    const parsed = entity.schema.safeParse(raw, { error: rejectionMessage, reportInput: true })
    if (!parsed.success) {
      const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : undefined
      rejected.push({
        index,
        ...(id === undefined ? {} : { id: storableText(id) }),
        errors: parsed.error.issues.flatMap((issue) =>
          // One error per unknown field, so that each names its field.
          (issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path]).map(
            (path) => ({
              field: storableText(path.join('.')) || '(record)',
              rule: rejectionRule(issue),
              message: storableText(issue.message),
            }),
          ),
        ),
      })
      continue
    }
    const record = parsed.data
    if (seen.has(record.id)) {
      rejected.push({
        index,
        id: record.id,
        errors: [{ field: 'id', rule: 'duplicate_id', message: 'duplicate id in this batch; send each record once' }],
      })
      continue
    }
    seen.add(record.id)
    const hash = recordContentHash(record)
    const row = { id: record.id, ...entity.columns(record), source_updated_at: record.updated_at, content_hash: hash }
    columns ??= Object.keys(row)
    const parentColumn = entity.children?.parentColumn ?? ''
    const childRows = (entity.children?.rows(record) ?? []).map((child) => ({ [parentColumn]: record.id, ...child }))
    if (childRows[0]) childColumns ??= Object.keys(childRows[0])
    records.push({
      index,
      id: record.id,
      updatedAt: sourceTime(record.updated_at),
      hash,
      row: JSON.stringify(row),
      children: childRows.map((child) => JSON.stringify(child)),
      references: entity.references(record).map((r) => ({
        targetType: r.targetType,
        json: JSON.stringify({ source_id: record.id, field: r.field, target_id: r.targetId }),
      })),
    })
  }
  return { entity, rejected, records, columns: columns ?? [], childColumns: childColumns ?? [] }
}
