import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, inject } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'
import type { DatabaseKind } from './test-database-setup.ts'

// Tests run against a real PostgreSQL: DATABASE_URL when set (CI sets it to the local server),
// else a testcontainers container when a Docker engine answers, else the embedded PGlite; the
// choice is made once per run (test-database-setup.ts). Each test file gets a fresh, migrated
// database. A file whose tests failed keeps its database for inspection (its name is printed); a
// passing one drops it.

export type { DatabaseKind }

export interface TestDatabase {
  readonly kind: DatabaseKind
  /** Connection string of this file's database (PGlite: served on a loopback port). */
  readonly url: string
  readonly handle: DatabaseHandle
  /** Creates another, empty (unmigrated) database on the same server and returns its URL. */
  createEmptyDatabase(): Promise<string>
}

/** Why tests needing several real sessions cannot run, or undefined when they can. */
export function multiSessionSkipReason(kind: DatabaseKind): string | undefined {
  return kind === 'pglite'
    ? 'needs several real PostgreSQL sessions; PGlite is one session (set DATABASE_URL to run it)'
    : undefined
}

/** Registers hooks that give the test file its own migrated database; read it after beforeAll. */
export function useTestDatabase(): { readonly current: TestDatabase } {
  const state: { current?: TestDatabase; failed: boolean; created: string[]; server?: string } = {
    failed: false,
    created: [],
  }

  beforeAll(async () => {
    const server = inject('testDatabaseServer')
    if (server.kind === 'pglite') {
      const handle = await openDatabase({})
      await migrateToLatest(handle.db)
      state.current = {
        kind: 'pglite',
        url: '',
        handle,
        createEmptyDatabase: () => Promise.reject(new Error(multiSessionSkipReason('pglite'))),
      }
      return
    }
    state.server = server.url
    const createEmptyDatabase = async () => {
      const name = `flex_test_${randomBytes(6).toString('hex')}`
      await admin(server.url, `create database ${name}`)
      state.created.push(name)
      return withDatabaseName(server.url, name)
    }
    const url = await createEmptyDatabase()
    const handle = await openDatabase({ url })
    await migrateToLatest(handle.db)
    state.current = { kind: server.kind, url, handle, createEmptyDatabase }
  })

  afterEach((context) => {
    if (context.task.result?.state === 'fail') state.failed = true
  })

  afterAll(async () => {
    await state.current?.handle.close()
    if (state.failed) {
      console.warn(`test databases kept for inspection: ${state.created.join(', ')}`)
    } else if (state.server) {
      for (const name of state.created) await admin(state.server, `drop database if exists ${name} with (force)`)
    }
  })

  return {
    get current(): TestDatabase {
      if (!state.current) throw new Error('the test database is ready only inside tests and hooks')
      return state.current
    },
  }
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
  } catch (error) {
    throw new Error(
      `cannot reach the test PostgreSQL at ${url}: ${(error as Error).message}. Start it (pg_ctlcluster 15 main start) or unset DATABASE_URL to use the embedded PGlite.`,
      { cause: error },
    )
  }
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}
