import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { flexDatabaseEnv, flexOutput, startFlexServer } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The docs cannot drift: the shell examples of docs/ingestion.md's "HTTP API" section and README's
// "Running the API server" are run here with bash and the real curl against a started `flex serve`.

const database = useTestDatabase()
const root = fileURLToPath(new URL('../../', import.meta.url))

/** The ```sh blocks of the markdown section that starts with `heading` (up to the next ## heading). */
async function shellBlocks(file: string, heading: string): Promise<string[]> {
  const markdown = await readFile(path.join(root, file), 'utf8')
  const start = markdown.indexOf(`\n${heading}\n`)
  expect(start, `${file} has the section ${heading}`).toBeGreaterThan(-1)
  const next = markdown.indexOf('\n## ', start + heading.length + 2)
  const section = markdown.slice(start, next === -1 ? undefined : next)
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
}

/**
 * Runs a shell snippet with bash; curl is wrapped to record each answer's status and body.
 * Returns the statuses (one per curl call), the bodies, and what the snippet printed.
 */
async function runSnippet(
  snippet: string,
  env: Record<string, string>,
): Promise<{ statuses: number[]; bodies: string[]; output: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'flex-doc-example-'))
  const statuses = path.join(dir, 'statuses')
  await writeFile(statuses, '')
  const script = `set -euo pipefail
curl() {
  local n; n=$(wc -l < "$EXAMPLE_STATUSES")
  command curl -o "$EXAMPLE_DIR/body-$n" -w '%{http_code}\\n' "$@" >> "$EXAMPLE_STATUSES"
}
${snippet}`
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      'bash',
      ['-c', script],
      {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, EXAMPLE_STATUSES: statuses, EXAMPLE_DIR: dir, ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`the snippet failed (${error.message}):\n${snippet}\n${stderr}${stdout}`))
        else resolve(stdout + stderr)
      },
    )
  })
  const codes = (await readFile(statuses, 'utf8')).split('\n').filter(Boolean).map(Number)
  const bodies = await Promise.all(codes.map((_, i) => readFile(path.join(dir, `body-${i}`), 'utf8')))
  return { statuses: codes, bodies, output }
}

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
        const firstLine = block.split('\n')[0] ?? ''
        const documented = /:\s*(\d{3})\s*$/.exec(firstLine)?.[1]
        expect(documented, `an example's first line ends with its status: ${firstLine}`).toBeDefined()
        const run = await runSnippet(block, exampleEnv)
        expect(run.statuses, `${firstLine}\n${run.bodies.join('\n')}`).toEqual([Number(documented)])
        for (const body of run.bodies) expect(() => JSON.parse(body), `${firstLine}: JSON answer`).not.toThrow()
        examples++
      }
      expect(examples).toBeGreaterThanOrEqual(11)
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
