import { migrateToLatest } from '../db/migrate.ts'
import { defineCommand, jsonOption, withDatabase } from './command.ts'

export const migrateCommand = defineCommand({
  name: 'migrate',
  summary: 'bring the database schema to the latest version',
  help: `Usage: flex migrate [--json]

Applies the migrations in migrations/ that the database has not seen yet. Safe to run again, and
safe when several processes run it at once (they take turns under an advisory lock).`,
  options: { ...jsonOption },
  async run({ values }, context) {
    const { applied } = await withDatabase(context, (database) => migrateToLatest(database.db))
    if (values.json) context.print(JSON.stringify({ applied }))
    else context.print(applied.length === 0 ? 'schema is up to date' : `applied ${applied.join(', ')}`)
    return 0
  },
})
