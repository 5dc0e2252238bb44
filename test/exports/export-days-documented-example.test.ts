import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportDaysResponse } from '../../src/http/response-schemas.ts'
import { runDocumentedExample, shellBlocks } from '../support/documented-examples.ts'
import { flexDatabaseEnv, flexOutput, startFlexServer } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'

// docs/exports.md's "Checking the days over HTTP" example, run with bash and the real curl against
// a started `flex serve`, after `flex export` ran one of its days.

const database = useTestDatabase()

describe("docs/exports.md's Checking the days over HTTP", () => {
  it('answers the status it documents, with the exported day and its run', async () => {
    const [block] = await shellBlocks('docs/exports.md', '## Checking the days over HTTP')
    const env = await flexDatabaseEnv(database.current)
    if (database.current.kind === 'pglite') await flexOutput(['migrate'], env)
    await flexOutput(['brands', 'add', 'acme', '--timezone', 'Europe/Berlin'], env)
    const key = JSON.parse(await flexOutput(['apikey', 'create', '--brand', 'acme', '--json'], env)).key
    const dest = await mkdtemp(path.join(tmpdir(), 'flex-export-days-doc-'))
    await flexOutput(['export', '--brand', 'acme', '--date', '2026-11-20', '--dest', dest, '--gzip'], env)
    const server = await startFlexServer({ env })
    try {
      const { body } = await runDocumentedExample(block ?? '', { FLEX_URL: server.url, BRAND: 'acme', FLEX_KEY: key })
      const answer = exportDaysResponse.parse(JSON.parse(body))
      expect(answer.days.map((day) => day.date)).toEqual(['2026-11-20', '2026-11-21'])
      // Exported now, long after its deadline.
      expect(answer.days[0]).toMatchObject({ status: 'late', manifest: { path: 'acme/_manifests/dt=2026-11-20.json' } })
      expect(answer.days[0]?.runs.map((run) => [run.status, run.trigger])).toEqual([['succeeded', 'manual']])
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })
})
