import { describe, expect, it } from 'vitest'
import { flexDatabaseEnv, flexOutput, startFlexServer } from '../support/flex-process.ts'
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts'
import { useTestDatabase } from '../support/test-database.ts'

// `flex serve` as an operator starts it, with FLEX_METRICS_TOKEN in its environment: the setting
// reaches the app through loadConfig, and a scraper with the token reads the metrics.

const database = useTestDatabase()

describe('flex serve with FLEX_METRICS_TOKEN', () => {
  it('answers GET /metrics to the token and 401 without it', async () => {
    const env = await flexDatabaseEnv(database.current)
    await flexOutput(['migrate'], env)
    const server = await startFlexServer({ env: { ...env, FLEX_METRICS_TOKEN: 'scrape-me' } })
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401)
      const answer = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } })
      expect(answer.status).toBe(200)
      const families = parsePrometheusText(await answer.text())
      expect(sampleValue(families, 'flex_webhook_deliveries_pending')).toBe(0)
      expect(
        sampleValue(families, 'flex_http_request_duration_seconds_count', { route: '/healthz', status_code: '200' }),
      ).toBeGreaterThanOrEqual(1)
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0)
    }
  })
})
