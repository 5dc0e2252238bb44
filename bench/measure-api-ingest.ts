import { sql } from 'kysely'
import { createApiKey } from '../src/apikeys/api-key-repository.ts'
import type { DatabaseHandle } from '../src/db/connect.ts'
import { buildApp } from '../src/http/app.ts'

// The ingestion benchmark's API measurement (issue 4), shared with the webhook benchmark, which
// runs it with and without a delivery worker beside it.

export interface ApiIngestRun {
  readonly recordsPerSecond: number
  readonly p99: number
}

export interface ApiIngestOptions {
  /** An existing brand that holds no `A-…` customers yet (a second run would update instead of insert). */
  readonly brandId: string
  /** Customers to post, in batches of 1,000 (at least 4 batches). */
  readonly records: number
  /** Every customer's `updated_at`. */
  readonly at: string
}

/**
 * POSTs batches of 1,000 customers to the HTTP API (an app in this process on a loopback port)
 * from 4 local clients, after an untimed CHECKPOINT, and answers records/s and the p99 batch time.
 */
export async function measureApiIngest(handle: DatabaseHandle, options: ApiIngestOptions): Promise<ApiIngestRun> {
  const { brandId, records, at } = options
  const { key } = await createApiKey(handle.db, brandId)
  const app = buildApp({ database: handle, rateLimit: { requests: 1_000_000, windowMs: 60_000 } })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const batches = Math.max(4, Math.floor(records / 1000))
  const latencies: number[] = []
  let next = 0
  await sql`checkpoint`.execute(handle.db)
  const started = performance.now()
  async function client(): Promise<void> {
    for (let b = next++; b < batches; b = next++) {
      const body = JSON.stringify(
        Array.from({ length: 1000 }, (_, i) => ({
          id: `A-${b}-${i}`,
          email: `a${b}.${i}@example.com`,
          updated_at: at,
        })),
      )
      const t = performance.now()
      const response = await fetch(`${address}/v1/${brandId}/customers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      })
      await response.arrayBuffer()
      if (response.status !== 200) throw new Error(`API answered ${response.status}`)
      latencies.push(performance.now() - t)
    }
  }
  await Promise.all(Array.from({ length: 4 }, client))
  const seconds = (performance.now() - started) / 1000
  await app.close()
  latencies.sort((a, b) => a - b)
  return {
    recordsPerSecond: Math.round((batches * 1000) / seconds),
    p99: Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0),
  }
}
