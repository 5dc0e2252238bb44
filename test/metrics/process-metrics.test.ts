import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addWebhook, type DeliveryDatabase, deliveryDatabase, publishReceipts } from '../support/delivery-fixtures.ts'
import { addBrand } from '../support/fixtures.ts'
import { freePort, runFlex, startFlex, startFlexDeliver, startFlexServer } from '../support/flex-process.ts'
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts'
import { multiSessionSkipReason, useTestDatabase } from '../support/test-database.ts'
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts'

// `flex deliver` and `flex schedule` as an operator starts them, with FLEX_METRICS_PORT and
// FLEX_METRICS_TOKEN: a listener of their own answers GET /metrics under the token rule of flex
// serve, counts what the process did, and closes with it on SIGTERM.

const database = useTestDatabase()
const token = 'process-metrics-token'
let deliveries: DeliveryDatabase
let receiver: Receiver

beforeAll(async () => {
  if (multiSessionSkipReason(database.current.kind)) return
  deliveries = await deliveryDatabase(database.current)
  receiver = await startReceiver()
})

afterAll(async () => {
  await receiver?.close()
  await deliveries?.handle.close()
})

const scrape = (port: number, authorization?: string) =>
  fetch(`http://127.0.0.1:${port}/metrics`, authorization ? { headers: { authorization } } : {})

describe('the metrics of flex deliver, flex schedule and flex serve --deliver', () => {
  it('flex deliver answers GET /metrics on FLEX_METRICS_PORT to the token, counts its attempts, and closes on SIGTERM', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    const { db } = deliveries.handle
    await addBrand(db, 'proc-m', 'UTC')
    await addWebhook(db, 'proc-m', `${receiver.url}/hook`)
    const port = await freePort()
    const worker = await startFlexDeliver({
      env: deliveries.deliverEnv({ FLEX_METRICS_PORT: String(port), FLEX_METRICS_TOKEN: token }),
    })
    let code: number | string | undefined
    try {
      const refused = await scrape(port, 'Bearer not-the-token')
      expect(refused.status).toBe(401)
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"')
      const other = await fetch(`http://127.0.0.1:${port}/v1/proc-m/customers`)
      expect(other.status).toBe(404)
      expect(await other.json()).toMatchObject({ status: 404 })

      await publishReceipts(db, 'proc-m', ['r-1', 'r-2', 'r-3'])
      let successes = 0
      await worker.waitFor('three successful attempts counted', async () => {
        const answer = await scrape(port, `Bearer ${token}`)
        const families = parsePrometheusText(await answer.text())
        successes = sampleValue(families, 'flex_webhook_attempts_total', { outcome: 'success' }) ?? 0
        return successes >= 3
      })
      expect(successes).toBe(3)
      expect(receiver.requests).toHaveLength(3)
      const families = parsePrometheusText(await (await scrape(port, `Bearer ${token}`)).text())
      expect(sampleValue(families, 'flex_webhook_first_attempt_latency_seconds_count')).toBe(3)
      expect(sampleValue(families, 'flex_webhook_delivered_latency_seconds_count')).toBe(3)
      expect(sampleValue(families, 'flex_webhook_deliveries_pending')).toBe(0)
      // The listener serves no API: its scrapes are not counted as API requests.
      expect(sampleValue(families, 'flex_http_request_duration_seconds_count')).toBeUndefined()
    } finally {
      code = await worker.stop('SIGTERM')
    }
    expect(code).toBe(0)
    await expect(scrape(port, `Bearer ${token}`)).rejects.toThrow()
  })

  it('flex deliver refuses FLEX_METRICS_PORT without FLEX_METRICS_TOKEN (exit 2)', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    const run = await runFlex(['deliver'], deliveries.deliverEnv({ FLEX_METRICS_PORT: String(await freePort()) }))
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/FLEX_METRICS_PORT is set but FLEX_METRICS_TOKEN is not/)
  })

  it('flex schedule answers GET /metrics with its export metrics and the deadline gauge, and closes on SIGTERM', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    const port = await freePort()
    const dest = await mkdtemp(path.join(tmpdir(), 'flex-schedule-metrics-'))
    const schedule = startFlex(['schedule', '--dest', dest], {
      env: deliveries.deliverEnv({ FLEX_METRICS_PORT: String(port), FLEX_METRICS_TOKEN: token }),
    })
    let code: number | string | undefined
    try {
      await schedule.waitFor('the metrics listener', () => schedule.stderr().includes('serving GET /metrics'))
      expect((await scrape(port)).status).toBe(401)
      const answer = await scrape(port, `Bearer ${token}`)
      expect(answer.status).toBe(200)
      const families = parsePrometheusText(await answer.text())
      expect(families.get('flex_export_deadline_misses_total')?.type).toBe('counter')
      expect(sampleValue(families, 'flex_export_deadline_misses_total')).toBe(0)
      // proc-m was added just now, after today's deadline on its clock or before it: never counted.
      expect(sampleValue(families, 'flex_export_deadline_missed_brands', { state: 'incomplete' })).toBe(0)
      expect(families.get('flex_export_run_duration_seconds')?.type).toBe('histogram')
    } finally {
      code = await schedule.stop('SIGTERM')
    }
    expect(code).toBe(0)
    await expect(scrape(port, `Bearer ${token}`)).rejects.toThrow()
  })

  it('flex serve --deliver shows its worker’s attempts on its own /metrics, beside the API’s requests', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    const { db } = deliveries.handle
    await addBrand(db, 'proc-s', 'UTC')
    await addWebhook(db, 'proc-s', `${receiver.url}/serve-hook`)
    const server = await startFlexServer({
      args: ['--deliver'],
      env: deliveries.deliverEnv({ FLEX_METRICS_TOKEN: token }),
    })
    let code: number | string | undefined
    try {
      await publishReceipts(db, 'proc-s', ['s-1', 's-2'])
      await server.waitFor('two successful attempts counted', async () => {
        const answer = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
        const families = parsePrometheusText(await answer.text())
        return (sampleValue(families, 'flex_webhook_attempts_total', { outcome: 'success' }) ?? 0) >= 2
      })
      const answer = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
      const families = parsePrometheusText(await answer.text())
      expect(sampleValue(families, 'flex_webhook_attempts_total', { outcome: 'success' })).toBe(2)
      expect(receiver.requests.filter((request) => request.path === '/serve-hook')).toHaveLength(2)
      expect(
        sampleValue(families, 'flex_http_request_duration_seconds_count', { route: '/healthz', status_code: '200' }),
      ).toBeGreaterThanOrEqual(1)
    } finally {
      code = await server.stop('SIGTERM')
    }
    expect(code).toBe(0)
  })
})
