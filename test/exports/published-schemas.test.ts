import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { exportFiles } from '../../src/exports/files/index.ts'
import { bigQuerySchema, jsonSchema, publishedSchemaFiles } from '../../src/exports/published-schemas.ts'
import { ingestSchemaFiles } from '../../src/ingest/published-schemas.ts'
import { webhookSchemaFiles } from '../../src/webhooks/published-schemas.ts'

const schemasDir = fileURLToPath(new URL('../../schemas/', import.meta.url))

describe('published schemas', () => {
  it('match the committed files in schemas/ (run npm run schemas after changing a file definition)', async () => {
    const expected = publishedSchemaFiles()
    for (const [relative, contents] of expected) {
      expect(await readFile(`${schemasDir}${relative}`, 'utf8'), relative).toBe(contents)
    }
    const committed = (await readdir(`${schemasDir}exports`)).map((name) => `exports/${name}`).sort()
    expect(committed).toEqual([...expected.keys()].sort())
  })

  it('match the committed ingestion entity schemas in schemas/ingest/', async () => {
    const expected = ingestSchemaFiles()
    for (const [relative, contents] of expected) {
      expect(await readFile(`${schemasDir}${relative}`, 'utf8'), relative).toBe(contents)
    }
    const committed = (await readdir(`${schemasDir}ingest`)).map((name) => `ingest/${name}`).sort()
    expect(committed).toEqual([...expected.keys()].sort())
  })

  it('match the committed webhook event catalogue in schemas/webhooks/', async () => {
    const expected = webhookSchemaFiles()
    for (const [relative, contents] of expected) {
      expect(await readFile(`${schemasDir}${relative}`, 'utf8'), relative).toBe(contents)
    }
    const committed = (await readdir(`${schemasDir}webhooks`)).map((name) => `webhooks/${name}`).sort()
    expect(committed).toEqual([...expected.keys()].sort())
  })

  it('type each column for BigQuery and JSON Schema from its zod definition', () => {
    const linkStats = exportFiles.find((f) => f.name === 'link_stats')
    expect(linkStats).toBeDefined()
    const bq = Object.fromEntries(bigQuerySchema(linkStats as never).map((f) => [f.name, `${f.type} ${f.mode}`]))
    expect(bq).toMatchObject({ stat_date: 'DATE REQUIRED', clicks: 'INT64 REQUIRED', updated_at: 'TIMESTAMP REQUIRED' })
    const campaigns = exportFiles.find((f) => f.name === 'campaigns')
    const schema = jsonSchema(campaigns as never) as { properties: Record<string, unknown>; required: string[] }
    expect(Object.keys(schema.properties)).toEqual(campaigns?.row.keyof().options)
    expect(schema.required).toContain('campaign_id')
    expect(bigQuerySchema(campaigns as never).find((f) => f.name === 'budget')).toMatchObject({
      type: 'NUMERIC',
      mode: 'NULLABLE',
    })
  })
})
