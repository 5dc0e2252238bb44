import { describe, expect, it } from 'vitest'
import { runDocumentedExample, runSnippet, shellBlocks } from '../support/documented-examples.ts'
import { flexDatabaseEnv, flexOutput, startFlexServer } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The docs cannot drift: the shell examples of docs/ingestion.md's "HTTP API" section and README's
// "Running the API server" are run here with bash and the real curl against a started `flex serve`.

const database = useTestDatabase()

describe('docs/ingestion.md HTTP API examples', () => {
  it('each answers the status it documents, against a started flex serve', async () => {
    const blocks = await shellBlocks('docs/ingestion.md', '## HTTP API')
    const env = await flexDatabaseEnv(database.current)
    if (database.current.kind === 'pglite') await flexOutput(['migrate'], env)
    await flexOutput(['brands', 'add', 'acme', '--timezone', 'Europe/Berlin'], env)
    const key = JSON.parse(await flexOutput(['apikey', 'create', '--brand', 'acme', '--json'], env)).key
    const signed = JSON.parse(
      await flexOutput(['apikey', 'create', '--brand', 'acme', '--require-signature', '--json'], env),
    )
    const server = await startFlexServer({ env })
    try {
      const exampleEnv = {
        FLEX_URL: server.url,
        BRAND: 'acme',
        FLEX_KEY: key,
        FLEX_SIGNED_KEY: signed.key,
        FLEX_SIGNING_SECRET: signed.signingSecret,
      }
      let examples = 0
      for (const block of blocks) {
        if (block.includes('export FLEX_URL=')) continue // the variables, set above instead
        const { firstLine, body } = await runDocumentedExample(block, exampleEnv)
        expect(() => JSON.parse(body), `${firstLine}: JSON answer`).not.toThrow()
        examples++
      }
      expect(examples).toBeGreaterThanOrEqual(13)
      // The 207 example's rejected product is in the log the rejections example reads.
      const rejections = await fetch(`${server.url}/v1/acme/ingestion/rejections?entity=products`, {
        headers: { authorization: `Bearer ${key}` },
      })
      expect(((await rejections.json()) as { rejections: unknown[] }).rejections).toMatchObject([
        {
          record_id: 'SKU-2',
          source: 'api',
          errors: expect.arrayContaining([{ field: 'price', rule: 'format', message: expect.any(String) }]),
        },
      ])
      const customer = await fetch(`${server.url}/v1/acme/customers/C-1002`, {
        headers: { authorization: `Bearer ${key}` },
      })
      expect(((await customer.json()) as { entity: unknown }).entity).toMatchObject({ deleted_at: expect.any(String) })
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })
})

describe("README's Running the API server", () => {
  it('prepares a fresh database, a brand and a key, serves, and answers its curl lines', async (context) => {
    if (database.current.kind === 'pglite') {
      return context.skip('needs a PostgreSQL server to create a fresh database on (set DATABASE_URL)')
    }
    const [prepare, serve] = await shellBlocks('README.md', '## Running the API server')
    expect(prepare).toMatch(/^createdb flex/)
    // The fresh database stands in for `createdb flex`: same server, empty, not migrated.
    const url = await database.current.createEmptyDatabase()
    const prepared = await runSnippet(
      (prepare ?? '')
        .replace(/^createdb flex.*\n/, '')
        .replace(/^export DATABASE_URL=\S+/m, `export DATABASE_URL='${url}'`),
      { LOG_LEVEL: 'warn' },
    )
    const key = /key:\s+(flex_\S+)/.exec(prepared.output)?.[1]
    expect(key, prepared.output).toBeDefined()

    const [serveLine, ...curlLines] = (serve ?? '').split('\n')
    expect(serveLine).toMatch(/^PORT=8080 npx flex serve/)
    const server = await startFlexServer({ env: { DATABASE_URL: url } })
    try {
      const run = await runSnippet(curlLines.join('\n').replaceAll('http://localhost:8080', server.url), {
        FLEX_KEY: key ?? '',
      })
      expect(run.statuses, run.bodies.join('\n')).toEqual([200, 200])
    } finally {
      expect(await server.stop('SIGINT')).toBe(0)
    }
  })
})
