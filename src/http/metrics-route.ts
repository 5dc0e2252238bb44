import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { FlexError } from '../errors.ts'
import type { PlatformMetrics } from '../metrics/platform-metrics.ts'

export interface MetricsRouteOptions {
  metrics: PlatformMetrics
  /** FLEX_METRICS_TOKEN: a scraper sends it as a Bearer token. Unset: GET /metrics is not served (404). */
  token?: string | undefined
}

/** The label of requests no route matched: raw URLs would give every scanner its own series. */
export const unmatchedRoute = 'unmatched'

/**
 * Records every request's duration into the metrics, and serves GET /metrics when a token is set.
 * Added to the root instance itself (not registered as a plugin), so that the hook sees the
 * requests of every route plugin registered after it.
 */
export function addMetricsRoute(app: FastifyInstance, options: MetricsRouteOptions): void {
  const { metrics } = options
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? unmatchedRoute,
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1_000,
    )
  })
  serveMetrics(app, options)
}

/**
 * GET /metrics: the registry's text to a scraper presenting the token (401 otherwise); not served
 * at all without a token. flex serve's app and the metrics listener of flex deliver and flex
 * schedule (metrics-server.ts) answer it alike.
 */
export function serveMetrics(app: FastifyInstance, options: MetricsRouteOptions): void {
  const { metrics, token } = options
  if (token === undefined) return
  const expected = digest(token)
  app.get('/metrics', async (request, reply) => {
    if (!presentsToken(request, expected)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"')
      throw new FlexError(
        'UNAUTHENTICATED',
        'Send the metrics token (FLEX_METRICS_TOKEN) as "Authorization: Bearer <token>".',
      )
    }
    const text = await metrics.scrape()
    return reply.type(metrics.contentType).send(text)
  })
}

// Digests of equal length, so that the comparison takes the same time whatever was sent.
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

function presentsToken(request: FastifyRequest, expected: Buffer): boolean {
  // The scheme is case-insensitive (RFC 9110 §11.1).
  const match = /^bearer +(\S+)$/i.exec(request.headers.authorization ?? '')
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected)
}
