import Fastify from 'fastify'
import { FlexError } from '../errors.ts'
import type { PlatformMetrics } from '../metrics/platform-metrics.ts'
import { sendApiError, sendClientError } from './error-handler.ts'
import { serveMetrics } from './metrics-route.ts'

export interface MetricsServerOptions {
  metrics: PlatformMetrics
  /** FLEX_METRICS_TOKEN, which a scraper sends as a Bearer token. */
  token: string
  /** FLEX_METRICS_PORT; 0 lets the system choose (tests). */
  port: number
  host?: string
}

export interface MetricsServer {
  /** The port it listens on. */
  readonly port: number
  close(): Promise<void>
}

/**
 * The metrics listener of the processes that serve no API (flex deliver, flex schedule): GET
 * /metrics on a port of its own, under the same token rule as flex serve's, every other path 404,
 * errors in the APIErrorResponse shape. Its requests are not recorded as API requests.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const app = Fastify({
    logger: false,
    // The router's own errors (a path that is not valid percent-encoding) in the API's shape too.
    frameworkErrors: (error, request, reply) => sendApiError(error, request, reply),
    clientErrorHandler: sendClientError,
    return503OnClosing: false,
  })
  app.setErrorHandler(sendApiError)
  app.setNotFoundHandler((request) => {
    throw new FlexError('NOT_FOUND', `no route ${request.method} ${request.url}; this port serves GET /metrics`)
  })
  serveMetrics(app, { metrics: options.metrics, token: options.token })
  try {
    await app.listen({ host: options.host ?? '0.0.0.0', port: options.port })
  } catch (error) {
    await app.close()
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new FlexError(
        'CONFIG',
        `metrics port ${options.port} is ${code === 'EADDRINUSE' ? 'in use' : 'not open to this user'}; set FLEX_METRICS_PORT to a free port`,
        { cause: error },
      )
    }
    throw error
  }
  const address = app.server.address()
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    close: () => app.close(),
  }
}
