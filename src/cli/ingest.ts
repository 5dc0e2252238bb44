import { access, constants } from 'node:fs/promises'
import { getBrand } from '../brands/brand-repository.ts'
import { exitCodes } from '../errors.ts'
import { entities } from '../ingest/entities/index.ts'
import { type EntityType, entityTypes } from '../ingest/entity-types.ts'
import { ingestFile } from '../ingest/ingest-file.ts'
import { waitingReferences } from '../ingest/reference-status.ts'
import { defineCommand, jsonOption, usageError, withDatabase } from './command.ts'

export const ingestCommand = defineCommand({
  name: 'ingest',
  summary: 'load a CSV or NDJSON file of one entity type, or show references still waiting',
  help: `Usage:
  flex ingest --brand ID --entity TYPE FILE [--rejects PATH] [--json]
  flex ingest status [--brand ID] [--json]

FILE is .csv (header row; empty cells are absent; items, attributes and properties cells hold
JSON), .ndjson or .jsonl, optionally .gz. TYPE is one of: ${entityTypes.join(', ')}.
Records are stored in batches of 5,000 (docs/ingestion.md). Lines that cannot be read or fail
validation go to the rejects file (default FILE.rejects.ndjson) with line numbers and reasons.

status lists references that wait for an entity that has not arrived, by type, with counts and
the oldest.

Exit codes: 0 every line stored (or unchanged/stale); 1 a failure; 2 bad arguments;
3 done, but some lines were rejected.`,
  options: {
    brand: { type: 'string' },
    entity: { type: 'string' },
    rejects: { type: 'string' },
    ...jsonOption,
  },
  allowPositionals: true,
  async run({ values, positionals }, context) {
    const [first, ...rest] = positionals
    if (rest.length > 0) throw usageError('ingest', `unexpected argument "${rest[0]}"`)
    if (first === 'status') {
      const waiting = await withDatabase(context, (database) => waitingReferences(database.db, values.brand))
      if (values.json) context.print(JSON.stringify(waiting))
      else if (waiting.length === 0) context.print('no references are waiting')
      else
        for (const w of waiting) {
          context.print(
            `${w.brand_id}\t${w.source_type} -> ${w.target_type}\t${w.waiting} waiting\toldest for ${age(w.oldest_age_seconds)} (since ${w.oldest_since.toISOString()})`,
          )
        }
      return exitCodes.ok
    }
    if (first === undefined) throw usageError('ingest', 'give a FILE to load, or status')
    if (!values.brand) throw usageError('ingest', '--brand is required')
    if (!values.entity || !(entityTypes as readonly string[]).includes(values.entity)) {
      throw usageError('ingest', `--entity must be one of ${entityTypes.join(', ')}`)
    }
    // Checked before anything else opens it: a missing file is the caller's mistake, not a failure.
    try {
      await access(first, constants.R_OK)
    } catch (error) {
      throw usageError(
        'ingest',
        `cannot read ${first}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      )
    }
    const entity = entities[values.entity as EntityType]
    const brandId = values.brand
    const rejectsPath = values.rejects ?? `${first}.rejects.ndjson`
    const tty = process.stderr.isTTY && !values.json
    const summary = await withDatabase(context, async (database) => {
      await getBrand(database.db, brandId)
      return ingestFile({
        db: database.db,
        brandId,
        entity,
        path: first,
        rejectsPath,
        ...(tty
          ? {
              onProgress: (s) =>
                process.stderr.write(
                  `\r\x1b[2K${s.lines} lines: ${s.created} created, ${s.updated} updated, ${s.rejected} rejected`,
                ),
            }
          : {}),
      })
    })
    if (tty) process.stderr.write('\r\x1b[2K')
    if (values.json) context.print(JSON.stringify(summary))
    else {
      context.print(
        `${summary.lines} lines: ${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.stale} stale, ${summary.rejected} rejected`,
      )
      if (summary.rejectsPath) context.print(`rejected lines, with reasons: ${summary.rejectsPath}`)
    }
    return summary.rejected > 0 ? exitCodes.quarantined : exitCodes.ok
  },
})

/** 3d 4h, 2h 5m, 7m 3s, 12s. */
function age(seconds: number): string {
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ]
  const parts: string[] = []
  let rest = Math.max(0, Math.floor(seconds))
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size)
    rest -= count * size
    if (count > 0 || (parts.length === 0 && size === 1)) parts.push(`${count}${unit}`)
    if (parts.length === 2) break
  }
  return parts.join(' ')
}
