import { readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.ts'
import { openApiDocument } from '../../src/http/openapi.ts'
import { useTestDatabase } from '../support/test-database.ts'

// docs/console.md's table of pages is the console's contract: each page a route of the console,
// each JSON endpoint named beside it one of the OpenAPI document's operations.

const database = useTestDatabase()
let app: FastifyInstance

beforeAll(async () => {
  app = buildApp({ database: database.current.handle })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

async function pageTable(): Promise<{ page: string; endpoints: string[] }[]> {
  const text = await readFile(new URL('../../docs/console.md', import.meta.url), 'utf8')
  const section = text.split('## Pages, and the JSON behind each')[1]?.split('\n## ')[0] ?? ''
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `/console'))
    .map((line) => {
      const cells = line.split('|').map((cell) => cell.trim())
      return {
        page: (cells[1] ?? '').replaceAll('`', ''),
        endpoints: [...(cells[3] ?? '').matchAll(/`(GET|POST|PATCH|DELETE) ([^`]+)`/g)].map((m) => `${m[1]} ${m[2]}`),
      }
    })
}

describe('docs/console.md', () => {
  it('names pages the console has, each with JSON endpoints the OpenAPI document has', async () => {
    const rows = await pageTable()
    expect(rows.length).toBeGreaterThanOrEqual(10)
    const operations = new Set(
      Object.entries(openApiDocument().paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    )
    for (const row of rows) {
      const url = row.page.replaceAll(/\{(\w+)\}/g, ':$1')
      expect(app.hasRoute({ method: 'GET', url }), `${row.page} is a console page`).toBe(true)
      expect(row.endpoints.length, `${row.page} names its JSON endpoints`).toBeGreaterThan(0)
      for (const endpoint of row.endpoints) expect(operations.has(endpoint), `${endpoint} is documented`).toBe(true)
    }
  })
})
