import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

export interface EmbeddedPostgres {
  readonly url: string
  stop(): Promise<void>
}

/**
 * PGlite (PostgreSQL compiled to WebAssembly) served on a loopback port, so the ordinary pg
 * driver, pg-cursor and Kysely's streaming run against it exactly as against a real server.
 * Data lives in `dataDir` when given (reopening it takes a fraction of a second), else in memory.
 */
export async function startEmbeddedPostgres(dataDir?: string): Promise<EmbeddedPostgres> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true })
  const pglite = await PGlite.create(dataDir === undefined ? {} : { dataDir })
  // The pool above holds one connection at a time. Two are allowed here so that a connection the
  // pool replaces (after an error) can be closing while its successor connects; the server makes
  // the successor wait until the old one's open transaction is rolled back.
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 2 })
  await server.start()
  return {
    url: `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    async stop() {
      await server.stop()
      await pglite.close()
    },
  }
}
