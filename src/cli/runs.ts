import { listRuns } from '../exports/export-runs.ts'
import { checkDateFlag, defineCommand, jsonOption, usageError, withDatabase } from './command.ts'

export const runsCommand = defineCommand({
  name: 'runs',
  summary: 'list export runs: brand, day, status, files, rows, bytes, times, error',
  help: `Usage: flex runs [--date YYYY-MM-DD] [--brand ID] [--failed] [--limit N] [--json]

Lists recorded export attempts, newest first (default: the last 100).

  --date    only runs for that brand-local day
  --brand   only that brand
  --failed  only failed runs
  --limit   at most N runs
  --json    print a JSON array on stdout

Exit codes: 0 listed (failed runs included); 1 a failure; 2 bad arguments.`,
  options: {
    date: { type: 'string' },
    brand: { type: 'string' },
    failed: { type: 'boolean' },
    limit: { type: 'string' },
    ...jsonOption,
  },
  async run({ values }, context) {
    checkDateFlag('runs', '--date', values.date)
    const limit = values.limit === undefined ? 100 : Number(values.limit)
    if (!Number.isInteger(limit) || limit < 1) throw usageError('runs', `--limit must be a positive integer`)
    const runs = await withDatabase(context, (database) =>
      listRuns(database.db, { brandId: values.brand, date: values.date, failedOnly: values.failed ?? false, limit }),
    )
    if (values.json) {
      context.print(JSON.stringify(runs))
      return 0
    }
    if (runs.length === 0) context.print('no runs match')
    for (const r of runs) {
      const seconds = r.ended_at ? ((r.ended_at.getTime() - r.started_at.getTime()) / 1000).toFixed(1) : '-'
      context.print(
        [
          r.started_at.toISOString(),
          r.brand_id,
          r.date,
          r.status,
          r.trigger,
          `${r.files} files`,
          `${r.rows} rows`,
          `${r.bytes} bytes`,
          `${seconds} s`,
          r.error ?? '',
        ]
          .join('\t')
          .trimEnd(),
      )
    }
    return 0
  },
})
