import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { firstUseOfSignature, lookUpKey } from '../apikeys/api-key-repository.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import { contentHash } from '../ingest/content-hash.ts'
import { deleteCustomer } from '../ingest/delete-customer.ts'
import { entities } from '../ingest/entities/index.ts'
import { type EntityType, entityTypes } from '../ingest/entity-types.ts'
import { ingestBatch } from '../ingest/ingest-records.ts'
import { readEntity } from '../ingest/read-entity.ts'
import { parseRecordJson } from '../ingest/record-json.ts'
import { recordOutcomes } from '../ingest/record-outcome.ts'
import { waitingReferences } from '../ingest/reference-status.ts'
import type { Logger } from '../logger.ts'
import { ApiError, apiErrorBody } from './api-error.ts'
import { openApiDocument } from './openapi.ts'
import { signatureMatches, signatureToleranceSeconds, signRequest } from './request-signature.ts'

export interface AppOptions {
  database: DatabaseHandle
  log?: Logger | false
  /** Records accepted in one request. */
  maxRecords?: number
  /** Bytes accepted in one request body. */
  bodyLimit?: number
  /** Requests each API key may make per window; more get 429 with Retry-After. */
  rateLimit?: { requests: number; windowMs: number }
}

interface BrandParams {
  brandId: string
  entity: string
  id: string
}

/**
 * The ingestion HTTP API. Built here, started by `flex serve`; tests drive it with inject().
 *   POST   /v1/:brandId/:entity        JSON array or NDJSON of records -> one outcome per record
 *   GET    /v1/:brandId/:entity/:id    the stored entity and the state of each of its references
 *   DELETE /v1/:brandId/customers/:id  erase a customer's personal data
 *   GET    /healthz, /openapi.json
 * Every error has the seeds' APIErrorResponse shape.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const { database } = options
  const maxRecords = options.maxRecords ?? 1_000
  const rateLimit = options.rateLimit ?? { requests: 3_000, windowMs: 60_000 }
  // Fixed windows per key, in this process: enough to stop a runaway client.
  const windows = new Map<string, { start: number; count: number }>()
  const app = Fastify({
    logger: options.log === undefined || options.log === false ? false : options.log,
    bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024,
  })

  // Bodies are parsed from the raw text, which is kept for verifying request signatures.
  const rawBodies = new WeakMap<FastifyRequest, string>()
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    rawBodies.set(request, body as string)
    try {
      done(null, parseRecordJson(body as string))
    } catch (error) {
      done(new ApiError(400, `the body is not valid JSON: ${(error as Error).message}`), undefined)
    }
  })
  app.addContentTypeParser(
    ['application/x-ndjson', 'application/jsonl'],
    { parseAs: 'string' },
    (request, body, done) => {
      rawBodies.set(request, body as string)
      const records: unknown[] = []
      for (const [i, line] of (body as string).split('\n').entries()) {
        if (line.trim() === '') continue
        try {
          records.push(parseRecordJson(line))
        } catch (error) {
          done(new ApiError(400, `line ${i + 1} is not valid JSON: ${(error as Error).message}`), undefined)
          return
        }
      }
      done(null, records)
    },
  )

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ApiError) return reply.status(error.status).headers(error.headers).send(error.toBody())
    const status = (error as { statusCode?: number }).statusCode
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send(apiErrorBody(status, (error as Error).message))
    }
    request.log.error({ err: error }, 'request failed')
    return reply.status(500).send(apiErrorBody(500, 'The server encountered an unexpected error.'))
  })
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(apiErrorBody(404, `no route ${request.method} ${request.url}`)),
  )

  const openApi = openApiDocument()
  app.get('/openapi.json', async () => openApi)

  app.get('/healthz', async () => {
    await database.pool.query('select 1')
    return { status: 'ok' }
  })

  /** 401 without a valid key; 403 when the key belongs to another brand. */
  async function authorize(request: FastifyRequest<{ Params: Partial<BrandParams> }>): Promise<void> {
    const header = request.headers.authorization
    const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined
    if (!key) throw new ApiError(401, 'Send an API key as "Authorization: Bearer <key>".')
    const found = await lookUpKey(database.db, key)
    if (!found) throw new ApiError(401, 'The API key is unknown or revoked.')
    if (found.brandId !== request.params.brandId) {
      throw new ApiError(403, `This API key may not access brand ${request.params.brandId}.`)
    }
    if (found.signingSecret !== null) await verifySignature(request, found.signingSecret)
    const now = Date.now()
    const window = windows.get(key)
    if (!window || now - window.start >= rateLimit.windowMs) windows.set(key, { start: now, count: 1 })
    else if (++window.count > rateLimit.requests) {
      const retryAfter = Math.ceil((window.start + rateLimit.windowMs - now) / 1000)
      throw new ApiError(
        429,
        `More than ${rateLimit.requests} requests in ${rateLimit.windowMs / 1000} s; retry after ${retryAfter} s.`,
        undefined,
        {
          'retry-after': String(retryAfter),
        },
      )
    }
  }

  /** For keys that require it: a fresh timestamp, a matching HMAC, and no replay. */
  async function verifySignature(request: FastifyRequest, secret: string): Promise<void> {
    const timestamp = request.headers['x-flex-timestamp']
    const signature = request.headers['x-flex-signature']
    if (typeof timestamp !== 'string' || typeof signature !== 'string') {
      throw new ApiError(401, 'This API key requires signed requests: send X-Flex-Timestamp and X-Flex-Signature.')
    }
    const skew = Math.abs(Date.now() / 1000 - Number(timestamp))
    if (!Number.isFinite(skew) || skew > signatureToleranceSeconds) {
      throw new ApiError(401, `X-Flex-Timestamp must be within ${signatureToleranceSeconds} s of the current time.`)
    }
    const expected = signRequest(secret, timestamp, request.method, request.url, rawBodies.get(request) ?? '')
    if (!signatureMatches(expected, signature)) throw new ApiError(401, 'X-Flex-Signature does not match the request.')
    if (!(await firstUseOfSignature(database.db, signature))) {
      throw new ApiError(401, 'This signed request was already received; sign each request anew.')
    }
  }

  function entityOf(name: string): EntityType {
    if (!(entityTypes as readonly string[]).includes(name)) {
      throw new ApiError(404, `unknown entity type "${name}"; use one of ${entityTypes.join(', ')}`)
    }
    return name as EntityType
  }

  app.post<{ Params: BrandParams; Body: unknown }>(
    '/v1/:brandId/:entity',
    { preHandler: authorize },
    async (request, reply) => {
      const type = entityOf(request.params.entity)
      const body = request.body
      if (!Array.isArray(body)) {
        throw new ApiError(422, 'The body must be a JSON array of records, or NDJSON (one record per line).', {
          body: 'must be an array',
        })
      }
      if (body.length > maxRecords) {
        throw new ApiError(413, `At most ${maxRecords} records per request; this one has ${body.length}.`)
      }
      const key = request.headers['idempotency-key']
      const idempotency =
        typeof key === 'string' && key !== '' ? { key, requestHash: contentHash({ type, body }) } : undefined
      let batch: Awaited<ReturnType<typeof ingestBatch>>
      try {
        batch = await ingestBatch(database.db, request.params.brandId, entities[type], body, idempotency)
      } catch (error) {
        if (error instanceof FlexError && error.code === 'IDEMPOTENCY_KEY_REUSED')
          throw new ApiError(422, error.message)
        throw error
      }
      const results = batch.outcomes
      if (batch.replayed) reply.header('idempotent-replayed', 'true')
      const rejected = results.filter((r) => r.outcome === 'rejected').length
      const summary = Object.fromEntries(recordOutcomes.map((o) => [o, results.filter((r) => r.outcome === o).length]))
      // 200: all stored; 207: some stored, some rejected; 422: none stored.
      const status = rejected === 0 ? 200 : rejected === results.length ? 422 : 207
      return reply.status(status).send({ summary, results })
    },
  )

  app.get<{ Params: BrandParams }>('/v1/:brandId/waiting-references', { preHandler: authorize }, async (request) => {
    const waiting = await waitingReferences(database.db, request.params.brandId)
    return { waiting: waiting.map(({ brand_id: _brand, ...rest }) => rest) }
  })

  app.get<{ Params: BrandParams }>('/v1/:brandId/:entity/:id', { preHandler: authorize }, async (request) => {
    const type = entityOf(request.params.entity)
    const { brandId, id } = request.params
    const stored = await readEntity(database.db, brandId, entities[type], id)
    if (!stored) throw new ApiError(404, `no ${type} with id "${id}" in brand ${brandId}`)
    return stored
  })

  app.delete<{ Params: BrandParams }>('/v1/:brandId/customers/:id', { preHandler: authorize }, async (request) => {
    const outcome = await deleteCustomer(database.db, request.params.brandId, request.params.id)
    if (outcome === 'not_found') throw new ApiError(404, `no customer with id "${request.params.id}"`)
    return { id: request.params.id, outcome }
  })

  return app
}
