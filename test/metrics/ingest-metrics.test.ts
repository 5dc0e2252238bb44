import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { entities } from '../../src/ingest/entities/index.ts'
import { ingestFile } from '../../src/ingest/ingest-file.ts'
import { ingestBatch } from '../../src/ingest/ingest-records.ts'
import { recordOutcomes } from '../../src/ingest/record-outcome.ts'
import { createPlatformMetrics, type PlatformMetrics } from '../../src/metrics/platform-metrics.ts'
import { readPlatformState } from '../../src/metrics/platform-state.ts'
import { addBrand } from '../support/fixtures.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { type MetricFamily, parsePrometheusText, sampleValue } from '../support/prometheus-text.ts'
import { useTestDatabase } from '../support/test-database.ts'

// flex_ingest_records_total counts each ingested record once, by entity type and outcome: the
// HTTP API's batches as GET /metrics shows them (a replayed idempotent batch is not counted
// again), bulk files (unreadable lines count as rejected), and hostile batches.

const database = useTestDatabase()
const db = () => database.current.handle.db
const runs = Math.min(50, Number(process.env.FLEX_PROPERTY_RUNS ?? 50))
const token = 'ingest-metrics-token'
let app: FastifyInstance
let key: string

beforeAll(async () => {
  await addBrand(db(), 'ingest-m', 'UTC')
  key = (await createApiKey(db(), 'ingest-m')).key
  app = buildApp({ database: database.current.handle, metricsToken: token })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

const counted = (families: Map<string, MetricFamily>, entity: string, outcome: string) =>
  sampleValue(families, 'flex_ingest_records_total', { entity, outcome }) ?? 0

async function scrapeApp(): Promise<Map<string, MetricFamily>> {
  const answer = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })
  expect(answer.statusCode).toBe(200)
  return parsePrometheusText(answer.body)
}

const post = (records: unknown[], headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/ingest-m/customers',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(records),
  })

describe('ingestion metrics', () => {
  it('counts the API batches by entity and outcome, and a replayed batch not again', async () => {
    const records = [
      { id: 'C-1', updated_at: '2026-11-21T09:00:00Z' },
      { id: 'C-2', updated_at: '2026-11-21T09:00:00Z' },
      { id: 'C 3', updated_at: 'yesterday' },
    ]
    expect((await post(records, { 'idempotency-key': 'batch-1' })).statusCode).toBe(207)
    let families = await scrapeApp()
    expect(families.get('flex_ingest_records_total')?.type).toBe('counter')
    expect(counted(families, 'customers', 'created')).toBe(2)
    expect(counted(families, 'customers', 'rejected')).toBe(1)

    const replay = await post(records, { 'idempotency-key': 'batch-1' })
    expect(replay.headers['idempotent-replayed']).toBe('true')
    families = await scrapeApp()
    expect(counted(families, 'customers', 'created')).toBe(2)
    expect(counted(families, 'customers', 'rejected')).toBe(1)

    await post([{ id: 'C-1', updated_at: '2026-11-22T09:00:00Z' }, records[1]])
    await post([{ id: 'C-2', updated_at: '2026-11-20T09:00:00Z' }])
    families = await scrapeApp()
    expect(counted(families, 'customers', 'updated')).toBe(1)
    expect(counted(families, 'customers', 'unchanged')).toBe(1)
    expect(counted(families, 'customers', 'stale')).toBe(1)
  })

  it('counts a bulk file, its unreadable lines as rejected', async () => {
    const metrics = createPlatformMetrics(() => readPlatformState(db(), { deadline: '04:00' }))
    const folder = await mkdtemp(path.join(tmpdir(), 'flex-ingest-metrics-'))
    const file = path.join(folder, 'products.ndjson')
    const lines = [
      '{"id":"P-1","name":"Tea","updated_at":"2026-11-21T09:00:00Z"}',
      '{"id":"P-2","name":"Jam","updated_at":"2026-11-21T09:00:00Z"}',
      '{"id":"P-3","updated_at":"not a time"}',
      '{not json',
    ]
    await writeFile(file, `${lines.join('\n')}\n`)
    const summary = await ingestFile({
      db: db(),
      brandId: 'ingest-m',
      entity: entities.products,
      path: file,
      rejectsPath: `${file}.rejects.ndjson`,
      metrics: metrics.ingest,
    })
    const families = parsePrometheusText(await metrics.scrape())
    expect(counted(families, 'products', 'created')).toBe(summary.created)
    expect(counted(families, 'products', 'rejected')).toBe(summary.rejected)
    expect(summary.rejected).toBe(2)
    expect(summary.created).toBe(2)
  })

  it('counts every record of a hostile batch exactly once, under its own outcome', async () => {
    const metrics: PlatformMetrics = createPlatformMetrics(() => readPlatformState(db(), { deadline: '04:00' }))
    const hostileText = fc.oneof(fc.constantFrom(...hostileCharacters), fc.string({ maxLength: 12 }))
    const record = fc.oneof(
      fc.record({ id: hostileText, updated_at: fc.oneof(hostileText, fc.constant('2026-11-21T09:00:00Z')) }),
      fc.anything({ maxDepth: 2 }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 20 }), async (batch) => {
        const before = parsePrometheusText(await metrics.scrape())
        const { outcomes } = await ingestBatch(db(), 'ingest-m', entities.customers, batch, undefined, metrics.ingest)
        const after = parsePrometheusText(await metrics.scrape())
        for (const outcome of recordOutcomes) {
          const expected = outcomes.filter((o) => o.outcome === outcome).length
          expect(counted(after, 'customers', outcome) - counted(before, 'customers', outcome)).toBe(expected)
        }
      }),
      { numRuns: runs },
    )
  })
})
