import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { entities } from '../../src/ingest/entities/index.ts'
import { ingestFile } from '../../src/ingest/ingest-file.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db

async function file(name: string, contents: string | Buffer): Promise<string> {
  const full = path.join(await mkdtemp(path.join(tmpdir(), 'flex-ingest-')), name)
  await writeFile(full, contents)
  return full
}

const load = (brandId: string, entity: keyof typeof entities, path: string) =>
  ingestFile({ db: db(), brandId, entity: entities[entity], path, rejectsPath: `${path}.rejects.ndjson` })

const rejectsOf = async (summary: { rejectsPath: string | undefined }) =>
  summary.rejectsPath
    ? (await readFile(summary.rejectsPath, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : []

describe('ingestFile', () => {
  it('loads a CSV of customers, rejecting bad lines with line numbers and reasons', async () => {
    await addBrand(db(), 'csv-shop', 'UTC')
    const csv = [
      'id,email,first_name,email_consent,attributes,updated_at',
      'C-1,zoe@example.com,Zoë,true,"{""tier"":""gold""}",2026-11-21T09:00:00Z',
      'C-2,not-an-email,Søren,false,,2026-11-21T09:00:00Z',
      '"C 3",x@example.com,"Smith, Jr.",maybe,,2026-11-21T09:00:00Z',
      'C-4,,"O""Brien",,,2026-11-21T09:00:00',
      'C-5,,"Line',
      'Break",,,2026-11-21T09:00:00Z',
    ].join('\n')
    const path = await file('customers.csv', csv)
    const summary = await load('csv-shop', 'customers', path)
    expect(summary).toMatchObject({ lines: 5, created: 2, rejected: 3 })
    const rejects = await rejectsOf(summary)
    expect(rejects.map((r: { line: number }) => r.line)).toEqual([3, 4, 5])
    expect(rejects[0].errors[0].field).toBe('email')
    expect(rejects[1].errors[0].message).toMatch(/email_consent: must be true or false/)
    expect(rejects[2].errors[0].field).toBe('updated_at')
    const stored = await db()
      .selectFrom('customers')
      .select(['id', 'first_name', 'attributes'])
      .where('brand_id', '=', 'csv-shop')
      .orderBy('id')
      .execute()
    expect(stored).toEqual([
      { id: 'C-1', first_name: 'Zoë', attributes: { tier: 'gold' } },
      { id: 'C-5', first_name: 'Line\nBreak', attributes: {} },
    ])
  })

  it('loads gzipped NDJSON transactions, reporting malformed JSON by line', async () => {
    await addBrand(db(), 'ndjson-shop', 'UTC')
    const tx = (id: string) =>
      JSON.stringify({
        id,
        occurred_at: '2026-11-21T09:00:00+01:00',
        status: 'completed',
        currency: 'EUR',
        total_amount: '2.00',
        items: [{ sku: 'S-1', quantity: 2, unit_price: '1.00', amount: '2.00' }],
        updated_at: '2026-11-21T09:00:00+01:00',
      })
    const body = [tx('T-1'), '{"id": "T-2", broken', tx('T-3'), ''].join('\n')
    const path = await file('transactions.ndjson.gz', gzipSync(body))
    const summary = await load('ndjson-shop', 'transactions', path)
    expect(summary).toMatchObject({ lines: 3, created: 2, rejected: 1 })
    expect((await rejectsOf(summary))[0]).toMatchObject({
      line: 2,
      errors: [{ field: '(line)', message: expect.stringMatching(/malformed JSON/) }],
    })
    const again = await load('ndjson-shop', 'transactions', path)
    expect(again).toMatchObject({ created: 0, unchanged: 2, rejected: 1 })
  })

  it('stores a record that appears twice in its later version, whatever the batch boundaries', async () => {
    await addBrand(db(), 'twice', 'UTC')
    const line = (id: string, name: string, hour: string) =>
      JSON.stringify({ id, first_name: name, updated_at: `2026-11-21T${hour}:00:00Z` })
    const body = [line('C-1', 'first', '09'), line('C-2', 'other', '09'), line('C-1', 'second', '10')].join('\n')
    const path = await file('customers.ndjson', body)
    const summary = await load('twice', 'customers', path)
    expect(summary).toMatchObject({ lines: 3, created: 2, updated: 1, rejected: 0 })
    const stored = await db()
      .selectFrom('customers')
      .select(['id', 'first_name'])
      .where('brand_id', '=', 'twice')
      .orderBy('id')
      .execute()
    expect(stored).toEqual([
      { id: 'C-1', first_name: 'second' },
      { id: 'C-2', first_name: 'other' },
    ])
  })
})
