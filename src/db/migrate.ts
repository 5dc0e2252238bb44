import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Kysely } from 'kysely'
import { FileMigrationProvider, type MigrationResult, Migrator } from 'kysely/migration'
import type { Database } from './database.ts'

const migrationFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

export interface MigrateOutcome {
  /** Migrations this call applied, in order; empty when the schema was already current. */
  applied: string[]
}

/**
 * Brings the schema to the latest migration. Kysely's migrator takes a PostgreSQL advisory lock
 * and runs inside a transaction, so concurrent callers wait for each other and the second finds
 * nothing left to do.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrateOutcome> {
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder }),
  })
  const { error, results = [] } = await migrator.migrateToLatest()
  if (error) {
    const failed = results.find((r: MigrationResult) => r.status === 'Error')
    throw new Error(`migration ${failed?.migrationName ?? '(setup)'} failed: ${(error as Error).message}`, {
      cause: error,
    })
  }
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) }
}
