import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { measureMetricsScrape } from '../../bench/measure-metrics-scrape.ts'
import { buildApp } from '../../src/http/app.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The scrape timer the metrics benchmark (and the console's) uses, against a started app: it
// times real scrapes and refuses to time answers that are not the metrics.

const database = useTestDatabase()
const token = 'bench-token'
let app: FastifyInstance
let url: string

beforeAll(async () => {
  app = buildApp({ database: database.current.handle, metricsToken: token })
  url = await app.listen({ host: '127.0.0.1', port: 0 })
})

afterAll(async () => {
  await app?.close()
})

describe('measureMetricsScrape', () => {
  it('times the given number of scrapes, in order of size', async () => {
    const times = await measureMetricsScrape(url, token, { repeat: 5 })
    expect(times.scrapes).toBe(5)
    expect(times.median_ms).toBeGreaterThan(0)
    expect(times.median_ms).toBeLessThanOrEqual(times.p95_ms)
    expect(times.p95_ms).toBeLessThanOrEqual(times.max_ms)
  })

  it('fails when the scrape is refused instead of timing the refusal', async () => {
    await expect(measureMetricsScrape(url, 'not-the-token', { repeat: 1 })).rejects.toThrow(/answered 401/)
  })
})
