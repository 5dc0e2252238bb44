import { migrateToLatest } from '../db/migrate.ts'
import { defineCommand, jsonOption, withDatabase } from './command.ts'

export const migrateCommand = defineCommand({
  name: 'migrate',
  summary: 'bring the database schema to the latest version',
  help: `Usage: flex migrate [--json]

Applies the migrations in migrations/ that the database has not seen yet. Safe to run again, and
safe when several processes run it at once (they take turns under an advisory lock).

Exit codes: 0 the schema is current; 1 a failure (the server cannot be reached, a migration
failed: nothing of it is kept); 2 bad arguments or configuration (the database in DATABASE_URL
does not exist: the message says how to create it).`,
  options: { ...jsonOption },
  async run({ values }, context) {
    const { applied } = await withDatabase(context, (database) => migrateToLatest(database.db))
    if (values.json) context.print(JSON.stringify({ applied }))
    else context.print(applied.length === 0 ? 'schema is up to date' : `applied ${applied.join(', ')}`)
    return 0
  },
})
