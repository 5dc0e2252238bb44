import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import Cursor from 'pg-cursor'
import { FlexError } from '../errors.ts'
import type { Database } from './database.ts'

/** A Kysely handle plus the pg pool under it, for the few paths (export cursors) that need raw pg. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>
  readonly pool: pg.Pool
  /** Where the data lives, without credentials, for messages. */
  readonly description: string
  readonly embedded: boolean
  close(): Promise<void>
}

// date and timestamp-without-time-zone as text: pg would otherwise build Dates in the Node
// process's timezone. numeric and int8 are text already.
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.DATE || oid === pg.types.builtins.TIMESTAMP) return (value: string) => value
    return pg.types.getTypeParser(oid, format)
  },
}

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; undefined starts an embedded PGlite database for the life of the handle. */
  url?: string | undefined
  /** Folder of the embedded database when there is no url; undefined keeps it in memory. */
  embeddedDir?: string | undefined
  maxConnections?: number
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url === undefined) {
    // Loaded only when needed: PGlite is large, and a server deployment never uses it.
    const { startEmbeddedPostgres } = await import('./embedded-postgres.ts')
    const embedded = await startEmbeddedPostgres(options.embeddedDir)
    const where = options.embeddedDir === undefined ? 'in memory' : options.embeddedDir
    // PGlite is one session: every pooled connection would share it, so the pool holds one.
    const handle = await connect(embedded.url, 1, `embedded PGlite (${where})`, true)
    return {
      ...handle,
      async close() {
        await handle.close()
        await embedded.stop()
      },
    }
  }
  return connect(options.url, options.maxConnections ?? 4, redactUrl(options.url), false)
}

async function connect(url: string, max: number, description: string, embedded: boolean): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: url, max, types: typeParsers, idleTimeoutMillis: 10_000 })
  // An idle client's error (server restart) must not crash the process; the next query fails instead.
  pool.on('error', () => {})
  try {
    const client = await pool.connect()
    client.release()
  } catch (error) {
    await pool.end()
    if ((error as { code?: unknown }).code === missingDatabase && !embedded)
      throw databaseMissing(url, description, error)
    throw new FlexError(
      'DATABASE_UNREACHABLE',
      `cannot connect to ${description}: ${(error as Error).message}. Is PostgreSQL running, and is DATABASE_URL right?`,
      { cause: error },
    )
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) })
  return {
    db,
    pool,
    description,
    embedded,
    async close() {
      // db.destroy() ends the pool only if Kysely itself ran a query; export cursors bypass it.
      await db.destroy()
      if (!pool.ended) await pool.end()
    },
  }
}

// SQLSTATE invalid_catalog_name: the server is up, but has no database of that name.
const missingDatabase = '3D000'

/** Names the missing database and says how to create it, from the server's maintenance database. */
function databaseMissing(url: string, description: string, cause: unknown): FlexError {
  const server = new URL(url)
  const name = decodeURIComponent(server.pathname.slice(1))
  const identifier = /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`
  // The password stays out of messages and logs; psql asks for it, or reads PGPASSWORD / ~/.pgpass.
  server.password = ''
  server.pathname = '/postgres'
  return new FlexError(
    'DATABASE_MISSING',
    `database "${name}" does not exist on ${description}; create it with: createdb ${identifier} ` +
      `(PGHOST, PGPORT and PGUSER naming that server), or: psql "${server.toString()}" -c 'create database ${identifier}', then run flex migrate`,
    { cause },
  )
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'the database in DATABASE_URL'
  }
}
