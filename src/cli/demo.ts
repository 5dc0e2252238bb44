import { rm } from 'node:fs/promises'
import path from 'node:path'
import { createApiKey } from '../apikeys/api-key-repository.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { generateDemoData } from '../demo/demo-data.ts'
import { deliverDemoWebhooks } from '../demo/demo-webhooks.ts'
import { demoHistoryDays, exportDemoHistory } from '../demo/export-history.ts'
import { ingestDemoActivity } from '../demo/ingestion-activity.ts'
import { exportBrands } from '../exports/export-brands.ts'
import { openDestination } from '../storage/open-destination.ts'
import { defineCommand, jsonOption, withDatabase } from './command.ts'
import { exportExitCode, exportSummaryJson, exportSummaryLines } from './export-summary.ts'

export const demoCommand = defineCommand({
  name: 'demo',
  summary: "generate demo brands and campaign data, then export yesterday's files",
  help: `Usage: flex demo [--dest DIR|gs://BUCKET/PREFIX] [--gzip] [--json]

Without DATABASE_URL: resets the embedded PGlite database in $FLEX_EMBEDDED_DIR (default
./.flex/pglite), migrates it, fills it with deterministic demo data (three brands in Berlin,
New York and Tokyo time, thousands of customers, 30 days of campaigns) and exports yesterday in
each brand's timezone. With DATABASE_URL: the same on that server; demo rows are upserted and
nothing else is touched.

  --dest   destination folder or bucket (default: $FLEX_EXPORT_DEST, else ./exports)
  --gzip   write .csv.gz instead of .csv
  --json   print one JSON summary on stdout

Exit codes as for flex export.`,
  options: {
    dest: { type: 'string' },
    gzip: { type: 'boolean' },
    ...jsonOption,
  },
  async run({ values }, context) {
    const { config, log } = context
    const destination = openDestination(values.dest ?? config.FLEX_EXPORT_DEST)
    await destination.checkWritable()
    if (config.DATABASE_URL === undefined) await rm(config.FLEX_EMBEDDED_DIR, { recursive: true, force: true })
    const now = new Date()
    const result = await withDatabase(context, async (database) => {
      log.info({ database: database.description }, 'preparing demo database')
      await migrateToLatest(database.db)
      const demo = await generateDemoData(database.db, { today: now.toISOString().slice(0, 10) })
      log.info({ brands: demo.brands }, 'demo data generated')
      await ingestDemoActivity(
        database.db,
        demo.brands.map((brand) => brand.id),
        now,
      )
      await exportDemoHistory({ database, destination, brands: demo.brands, now, log })
      log.info({ days: demoHistoryDays }, 'demo export history written')
      const exported = await exportBrands({ database, destination, gzip: values.gzip ?? false, log, startedAt: now })
      const webhooks = await deliverDemoWebhooks({ database, brands: demo.brands, log })
      log.info(webhooks, 'demo webhooks delivered')
      // A key for the console, made afresh by each run (the embedded database is reset anyway).
      const consoleKey = await createApiKey(database.db, { operator: true })
      return { ...exported, consoleKey }
    })
    const consoleUrl = `http://localhost:${context.config.PORT}/console`
    const extension = values.gzip ? 'csv.gz' : 'csv'
    const root = destination.description.startsWith('gs://')
      ? destination.description
      : path.relative(process.cwd(), destination.description) || '.'
    if (values.json) {
      const summary = JSON.parse(exportSummaryJson(destination.description, result)) as Record<string, unknown>
      context.print(JSON.stringify({ ...summary, console: { url: consoleUrl, operator_key: result.consoleKey.key } }))
    } else {
      context.print(`Exported yesterday for ${result.days.length} demo brands into ${destination.description}:`)
      for (const line of exportSummaryLines(destination.description, result)) context.print(`  ${line}`)
      context.print('Files:')
      for (const day of result.days) {
        for (const file of day.manifest.files) context.print(`  ${file.path} (${file.rows} rows)`)
      }
      context.print('')
      context.print('Read them with DuckDB, for example:')
      context.print(
        `  duckdb -c "select status, count(*) from read_csv('${root}/*/campaign_customers/*/*.${extension}', hive_partitioning = true) group by all"`,
      )
      context.print('Column meanings, keys and day windows: docs/exports.md')
      context.print('')
      context.print('Open the console (docs/console.md) on this data:')
      context.print('  npm run flex -- serve --deliver')
      context.print(`  then ${consoleUrl} and sign in with this operator key (shown once):`)
      context.print(`  ${result.consoleKey.key}`)
    }
    return exportExitCode(result)
  },
})
