import { exportBrands } from '../exports/export-brands.ts'
import { parseShard } from '../exports/shard.ts'
import { openDestination } from '../storage/open-destination.ts'
import { checkDateFlag, defineCommand, jsonOption, withDatabase } from './command.ts'
import { exportExitCode, exportSummaryJson, exportSummaryLines } from './export-summary.ts'

export const exportCommand = defineCommand({
  name: 'export',
  summary: "export a day's five campaign CSV files and manifest per brand",
  help: `Usage: flex export [--date YYYY-MM-DD] [--brand ID] [--dest DIR|gs://BUCKET/PREFIX] [--gzip]
                   [--shard INDEX/COUNT] [--json]

Writes campaigns, campaign_customers, campaign_skus, opt_outs and link_stats for one day, then the
day's manifest, under DIR/<brand>/<file_type>/dt=<date>/ (see docs/exports.md).

  --date   the brand's local calendar day (default: yesterday in each brand's timezone when the
           command started, however long it runs)
  --brand  one brand (default: every brand)
  --dest   destination folder or bucket (default: $FLEX_EXPORT_DEST, else ./exports)
  --gzip   write .csv.gz instead of .csv
  --shard  INDEX/COUNT: export only this task's share of the brands, balanced by the day's size
           (default: CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT when a Cloud Run Job sets them)
  --json   print one JSON summary on stdout

Exit codes: 0 every day complete; 1 a brand-day failed (it has no manifest; re-run it);
2 bad arguments or configuration (an unknown brand, a destination that cannot be written); 3 complete, but some rows failed validation and were
quarantined (listed in the manifest and under <brand>/_quarantine/).`,
  options: {
    date: { type: 'string' },
    brand: { type: 'string' },
    dest: { type: 'string' },
    gzip: { type: 'boolean' },
    shard: { type: 'string' },
    ...jsonOption,
  },
  async run({ values }, context) {
    // The one clock reading that decides each brand's default day, however long the run takes.
    const startedAt = new Date()
    checkDateFlag('export', '--date', values.date)
    const destination = openDestination(values.dest ?? context.config.FLEX_EXPORT_DEST)
    const { CLOUD_RUN_TASK_INDEX: taskIndex, CLOUD_RUN_TASK_COUNT: taskCount } = context.config
    const shardSpec = values.shard ?? (taskCount === undefined ? undefined : `${taskIndex ?? 0}/${taskCount}`)
    const shard = shardSpec === undefined ? undefined : parseShard(shardSpec)
    const result = await withDatabase(context, (database) =>
      exportBrands({
        database,
        destination,
        brandId: values.brand,
        date: values.date,
        gzip: values.gzip ?? false,
        chunkRows: context.config.FLEX_EXPORT_CHUNK_ROWS,
        shard,
        log: context.log,
        startedAt,
      }),
    )
    if (values.json) context.print(exportSummaryJson(destination.description, result))
    else for (const line of exportSummaryLines(destination.description, result)) context.print(line)
    return exportExitCode(result)
  },
})
