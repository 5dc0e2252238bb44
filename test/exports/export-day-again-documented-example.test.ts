import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readManifest } from '../../src/exports/manifest.ts'
import { exportRunResponse } from '../../src/http/response-schemas.ts'
import { LocalFolder } from '../../src/storage/local-folder.ts'
import { fencedBlocks, runDocumentedExample, shellBlocks } from '../support/documented-examples.ts'
import { flexDatabaseEnv, flexOutput, startFlexServer } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'

// docs/exports.md's "Exporting a day again over HTTP" examples, run with bash and the real curl
// against a started `flex serve` whose FLEX_EXPORT_DEST is a fresh folder: the run it starts
// writes the day there.

const database = useTestDatabase()

describe("docs/exports.md's Exporting a day again over HTTP", () => {
  it('starts the run with the documented 202, and the run answers 200 until it has succeeded', async () => {
    const [start, follow] = await shellBlocks('docs/exports.md', '## Exporting a day again over HTTP')
    const dest = await mkdtemp(path.join(tmpdir(), 'flex-export-again-doc-'))
    const env = { ...(await flexDatabaseEnv(database.current)), FLEX_EXPORT_DEST: dest }
    if (database.current.kind === 'pglite') await flexOutput(['migrate'], env)
    await flexOutput(['brands', 'add', 'acme', '--timezone', 'Europe/Berlin'], env)
    const key = JSON.parse(await flexOutput(['apikey', 'create', '--brand', 'acme', '--json'], env)).key
    const server = await startFlexServer({ env })
    try {
      const shared = { FLEX_URL: server.url, BRAND: 'acme', FLEX_KEY: key }
      const started = exportRunResponse.parse(JSON.parse((await runDocumentedExample(start ?? '', shared)).body))
      expect(started).toMatchObject({ brand_id: 'acme', date: '2026-11-20', trigger: 'manual' })
      const deadline = Date.now() + 30_000
      let run = started
      while (run.status === 'running' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        const { body } = await runDocumentedExample(follow ?? '', { ...shared, RUN_ID: started.id })
        run = exportRunResponse.parse(JSON.parse(body))
      }
      expect(run).toMatchObject({ id: started.id, status: 'succeeded', progress: { files_written: 5 } })
      const manifest = await readManifest(new LocalFolder(dest), 'acme', '2026-11-20')
      expect(manifest?.run_id).toBe(started.id)
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })

  it('shows an answer in the shape the API answers', async () => {
    const [answer] = await fencedBlocks('docs/exports.md', '## Exporting a day again over HTTP', 'json')
    const parsed = exportRunResponse.safeParse(JSON.parse(answer ?? ''))
    expect(parsed.success ? [] : parsed.error.issues).toEqual([])
  })
})
