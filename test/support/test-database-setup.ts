import type { TestProject } from 'vitest/node'

// Vitest global setup: decides once per run which PostgreSQL the tests use, says so on stdout, and
// hands it to every test file (inject('testDatabaseServer'), read by test-database.ts). A
// testcontainers PostgreSQL is started here once for the whole run and stopped at its end.

export type DatabaseKind = 'server' | 'container' | 'pglite'

export interface TestDatabaseServer {
  readonly kind: DatabaseKind
  /** Connection string of the server's maintenance database; empty for PGlite. */
  readonly url: string
  /** Which database and why, without credentials: printed once at the start of the run. */
  readonly description: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabaseServer: TestDatabaseServer
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { server, stop } = await findServer(process.env.DATABASE_URL)
  project.provide('testDatabaseServer', server)
  process.stdout.write(`\ntest database: ${server.description}\n\n`)
  return stop
}

async function findServer(
  databaseUrl: string | undefined,
): Promise<{ server: TestDatabaseServer; stop: () => Promise<void> }> {
  const nothingToStop = async () => {}
  if (databaseUrl) {
    return {
      server: {
        kind: 'server',
        url: databaseUrl,
        description: `PostgreSQL server at ${hostAndPort(databaseUrl)} (DATABASE_URL), one database per test file`,
      },
      stop: nothingToStop,
    }
  }
  let reason: string
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
    const container = await new PostgreSqlContainer('postgres:17-alpine').start()
    const url = container.getConnectionUri()
    return {
      server: {
        kind: 'container',
        url,
        description: `PostgreSQL 17 in a testcontainers container at ${hostAndPort(url)} (DATABASE_URL is unset), one database per test file`,
      },
      stop: async () => {
        await container.stop()
      },
    }
  } catch (error) {
    reason = (error as Error).message.split('\n')[0] ?? 'unknown error'
  }
  return {
    server: {
      kind: 'pglite',
      url: '',
      description: `embedded PGlite, one per test file, because DATABASE_URL is unset and no container could be started (${reason}); tests that need a PostgreSQL server are skipped. Set DATABASE_URL to run them.`,
    },
    stop: nothingToStop,
  }
}

/** host:port of a connection string; the user and password stay out of the output. */
function hostAndPort(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname}:${parsed.port || '5432'}`
  } catch {
    return 'the address in DATABASE_URL (not a URL)'
  }
}
