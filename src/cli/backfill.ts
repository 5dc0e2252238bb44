import { exitCodes } from '../errors.ts'
import { type BackfillDay, type BackfillProgress, backfill } from '../exports/backfill.ts'
import { openDestination } from '../storage/open-destination.ts'
import { checkDateFlag, defineCommand, jsonOption, usageError, withDatabase } from './command.ts'

const maxDays = 3_660

export const backfillCommand = defineCommand({
  name: 'backfill',
  summary: 'export a range of days, skipping days that are already complete',
  help: `Usage: flex backfill --from YYYY-MM-DD --to YYYY-MM-DD [--brand ID] [--force]
                     [--concurrency N] [--dest DIR|gs://BUCKET/PREFIX] [--gzip] [--json]

Exports every day from --from to --to (inclusive, brand-local dates, at most ${maxDays.toLocaleString('en-US')} days) for one
or every brand. A day whose manifest is complete and current is skipped unless --force, so a
backfill that was stopped or killed resumes where it left off when run again.

  --brand        one brand (default: every brand)
  --force        re-export complete days too
  --concurrency  brand-days exported at once (default 1; the embedded database always uses 1)
  --dest         destination (default: $FLEX_EXPORT_DEST, else ./exports)
  --gzip         write .csv.gz
  --json         print the per-day results as JSON on stdout

On a terminal a progress line shows days, files, rows/s and the time left; otherwise each day
is logged. Ends with one line per day. Exit codes: 0 every day complete; 1 a day failed (run the
same command again to retry just the failed days); 2 bad arguments or configuration (an unknown
brand, a destination that cannot be written).`,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    brand: { type: 'string' },
    force: { type: 'boolean' },
    concurrency: { type: 'string' },
    dest: { type: 'string' },
    gzip: { type: 'boolean' },
    ...jsonOption,
  },
  async run({ values }, context) {
    const { from, to } = values
    for (const [flag, value] of [
      ['--from', from],
      ['--to', to],
    ] as const) {
      if (value === undefined) throw usageError('backfill', `${flag} is required`)
      checkDateFlag('backfill', flag, value)
    }
    if ((from as string) > (to as string)) throw usageError('backfill', `--from ${from} is after --to ${to}`)
    const days = (Date.parse(to as string) - Date.parse(from as string)) / 86_400_000 + 1
    if (days > maxDays) throw usageError('backfill', `at most ${maxDays} days at once, asked for ${days}`)
    const concurrency = values.concurrency === undefined ? 1 : Number(values.concurrency)
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
      throw usageError('backfill', '--concurrency must be a whole number from 1 to 16')
    }
    const destination = openDestination(values.dest ?? context.config.FLEX_EXPORT_DEST)
    const progress = process.stderr.isTTY && !values.json ? progressLine() : undefined
    const results = await withDatabase(context, (database) =>
      backfill({
        database,
        destination,
        from: from as string,
        to: to as string,
        brandId: values.brand,
        force: values.force ?? false,
        concurrency,
        gzip: values.gzip ?? false,
        chunkRows: context.config.FLEX_EXPORT_CHUNK_ROWS,
        // On a terminal the progress line replaces the per-day log lines.
        log: progress ? context.log.child({}, { level: 'warn' }) : context.log,
        ...(progress ? { onProgress: progress.update } : {}),
      }),
    )
    progress?.done()
    if (values.json) context.print(JSON.stringify(results))
    else for (const line of summaryTable(results)) context.print(line)
    return results.some((r) => r.status === 'failed') ? exitCodes.failure : exitCodes.ok
  },
})

function summaryTable(results: BackfillDay[]): string[] {
  const count = (status: BackfillDay['status']) => results.filter((r) => r.status === status).length
  return [
    ['brand', 'date', 'status', 'rows', 'bytes', 'seconds', 'detail'].join('\t'),
    ...results.map((r) => [r.brand, r.date, r.status, r.rows, r.bytes, r.seconds, r.detail].join('\t').trimEnd()),
    `${results.length} brand-days: ${count('exported')} exported, ${count('skipped')} skipped, ${count('failed')} failed`,
  ]
}

function progressLine(): { update: (p: BackfillProgress) => void; done: () => void } {
  return {
    update(p) {
      const rate = p.elapsedSeconds > 0 ? Math.round(p.rows / p.elapsedSeconds) : 0
      const eta = p.etaSeconds === undefined ? '?' : formatSeconds(p.etaSeconds)
      const line = `days ${p.daysDone}/${p.days}  files ${p.filesDone}/${p.files}  ${rate} rows/s  ETA ${eta}  (${p.last.brand} ${p.last.date} ${p.last.status})`
      process.stderr.write(`\r\x1b[2K${line}`)
    },
    done() {
      process.stderr.write('\r\x1b[2K')
    },
  }
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds)
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${s % 60}s`
      : `${s}s`
}
