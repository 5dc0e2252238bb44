import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import { contentHash } from '../ingest/content-hash.ts'
import { deleteCustomer } from '../ingest/delete-customer.ts'
import { entities } from '../ingest/entities/index.ts'
import { type EntityType, entityTypes } from '../ingest/entity-types.ts'
import { externalIdPattern } from '../ingest/fields.ts'
import type { IngestMetrics } from '../ingest/ingest-metrics.ts'
import { ingestBatch } from '../ingest/ingest-records.ts'
import { tallyOutcomes } from '../ingest/ingestion-counts.ts'
import { type IngestionSummary, ingestionSummary } from '../ingest/ingestion-summary.ts'
import { readEntity } from '../ingest/read-entity.ts'
import { parseRecordJson } from '../ingest/record-json.ts'
import { waitingReferences } from '../ingest/reference-status.ts'
import { type LoggedRejection, rejectionPage } from '../ingest/rejection-log.ts'
import { parseRejectionPageQuery } from '../ingest/rejection-page-request.ts'
import { idempotencyKeyPattern } from './limits.ts'
import type { ingestionSummaryResponse, rejectionsPage } from './response-schemas.ts'
import type { BrandParams } from './route-params.ts'

/** The media types a POST of records may have; the first two are the documented ones. */
const recordMediaTypes = ['application/json', 'application/x-ndjson', 'application/jsonl']

export interface IngestionRoutesOptions {
  database: DatabaseHandle
  /** Records accepted in one request. */
  maxRecords: number
  /** Where the records' outcomes are counted (GET /metrics). */
  metrics?: IngestMetrics | undefined
  /** The current instant (the summary's last 24 hours); tests fix it. */
  now: () => Date
}

interface EntityParams extends BrandParams {
  id: string
}

/**
 * The ingestion surface, registered under /v1 behind the API key check:
 *   POST   /:brandId/:entity        JSON array or NDJSON of records -> one outcome per record
 *   GET    /:brandId/:entity/:id    the stored entity and the state of each of its references
 *   GET    /:brandId/waiting-references
 *   GET    /:brandId/ingestion/summary      records by entity type and outcome over 24 h, what waits
 *   GET    /:brandId/ingestion/rejections   the brand's rejection log, newest first, keyset paged
 *   DELETE /:brandId/customers/:id  erase a customer's personal data
 * One route per entity type, so an unknown type is an unknown route.
 */
export const ingestionRoutes: FastifyPluginAsync<IngestionRoutesOptions> = async (app, options) => {
  const { database, maxRecords, metrics } = options

  // Encapsulated in this plugin: bodies are kept as text (request signatures cover the raw
  // bytes) and parsed into records by the route, after the signature is checked. Only the record
  // media types are read, in UTF-8; Fastify's text/plain parser would hand a route a string.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(recordMediaTypes, { parseAs: 'string' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      done(unsupportedMediaType(`charset=${charset} is not read; send UTF-8`), undefined)
      return
    }
    request.rawBody = body as string
    done(null, body)
  })
  app.addContentTypeParser('*', (request, _payload, done) => {
    const type = request.headers['content-type']
    done(
      unsupportedMediaType(
        type === undefined
          ? 'the request has no Content-Type'
          : type.startsWith('application/x-www-form-urlencoded')
            ? `Content-Type ${type} is not read (curl -d sends it unless told otherwise: add -H 'Content-Type: application/json')`
            : `Content-Type ${type} is not read`,
      ),
      undefined,
    )
  })

  for (const type of entityTypes) {
    app.post<{ Params: BrandParams; Body: unknown }>(`/:brandId/${type}`, (request, reply) =>
      postRecords(type, request, reply),
    )
    app.get<{ Params: EntityParams }>(`/:brandId/${type}/:id`, async (request) => {
      const { brandId } = request.params
      const id = entityId(type, request.params)
      const stored = await readEntity(database.db, brandId, entities[type], id)
      if (!stored) throw new FlexError('NOT_FOUND', `no ${type} with id "${id}" in brand ${brandId}`)
      return stored
    })
  }

  app.get<{ Params: BrandParams }>('/:brandId/waiting-references', async (request) => {
    const waiting = await waitingReferences(database.db, request.params.brandId)
    return { waiting: waiting.map(({ brand_id: _brand, ...rest }) => rest) }
  })

  app.get<{ Params: BrandParams }>('/:brandId/ingestion/summary', async (request) =>
    ingestionSummaryAnswer(await ingestionSummary(database.db, request.params.brandId, options.now())),
  )

  app.get<{ Params: BrandParams; Querystring: Record<string, unknown> }>(
    '/:brandId/ingestion/rejections',
    async (request) => {
      const query = parseRejectionPageQuery(request.query)
      const page = await rejectionPage(database.db, request.params.brandId, query)
      const answer: z.input<typeof rejectionsPage> = {
        rejections: page.rejections.map(rejectionAnswer),
        page: { size: query.size, startId: query.startId ?? null, lastId: page.lastId },
      }
      return answer
    },
  )

  app.delete<{ Params: EntityParams }>('/:brandId/customers/:id', async (request) => {
    const id = entityId('customers', request.params)
    const outcome = await deleteCustomer(database.db, request.params.brandId, id)
    if (outcome === 'not_found') throw new FlexError('NOT_FOUND', `no customer with id "${id}"`)
    return { id, outcome }
  })

  async function postRecords(
    type: EntityType,
    request: FastifyRequest<{ Params: BrandParams; Body: unknown }>,
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    const body = parseRecords(request)
    if (!Array.isArray(body)) {
      throw new FlexError(
        'BODY_NOT_RECORDS',
        'The body must be a JSON array of records, or NDJSON (one record per line).',
        { validations: { body: 'must be an array' } },
      )
    }
    if (body.length > maxRecords) {
      throw new FlexError('BODY_TOO_LARGE', `At most ${maxRecords} records per request; this one has ${body.length}.`)
    }
    const key = idempotencyKey(request)
    const idempotency = key === undefined ? undefined : { key, requestHash: contentHash({ type, body }) }
    const batch = await ingestBatch(database.db, request.params.brandId, entities[type], body, idempotency, metrics)
    const results = batch.outcomes
    if (batch.replayed) reply.header('idempotent-replayed', 'true')
    const summary = tallyOutcomes(results)
    // 200: all stored; 207: some stored, some rejected; 422: none stored.
    const status = summary.rejected === 0 ? 200 : summary.rejected === results.length ? 422 : 207
    return reply.status(status).send({ summary, results })
  }
}

/** The summary as GET .../ingestion/summary answers it (instants as ISO text). */
function ingestionSummaryAnswer(summary: IngestionSummary): z.input<typeof ingestionSummaryResponse> {
  return {
    from: summary.from.toISOString(),
    to: summary.to.toISOString(),
    counts: summary.counts,
    waiting: summary.waiting.map((w) => ({ ...w, oldest_since: w.oldest_since.toISOString() })),
  }
}

function rejectionAnswer(rejection: LoggedRejection): z.input<typeof rejectionsPage>['rejections'][number] {
  return { ...rejection, rejected_at: rejection.rejected_at.toISOString() }
}

/**
 * The path's id, when it can name an entity at all: one outside the id rule (a `%00` decodes to a
 * NUL, which PostgreSQL refuses in text) names none, and is answered 404 without a query.
 */
function entityId(type: EntityType, params: EntityParams): string {
  if (!externalIdPattern.test(params.id)) {
    throw new FlexError(
      'NOT_FOUND',
      `no ${type} with id ${JSON.stringify(params.id)} in brand ${params.brandId}: ids are 1-128 of A-Z a-z 0-9 . _ : @ -`,
    )
  }
  return params.id
}

/** The request's Idempotency-Key, if it sent one; 400 when it breaks the key rule. */
function idempotencyKey(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key']
  if (key === undefined || key === '') return undefined
  if (typeof key === 'string' && idempotencyKeyPattern.test(key)) return key
  throw new FlexError('INVALID_HEADER', 'The Idempotency-Key header breaks its rule; send one key per request.', {
    validations: { 'Idempotency-Key': 'must be 1 to 255 visible ASCII characters (no spaces)' },
  })
}

/** A JSON body as its value, an NDJSON body as the array of its lines' values; 400 when malformed. */
function parseRecords(request: FastifyRequest): unknown {
  const text = request.rawBody ?? ''
  const mediaType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (mediaType === 'application/json') {
    try {
      return parseRecordJson(text)
    } catch (error) {
      throw new FlexError('MALFORMED_BODY', `The body is not valid JSON: ${(error as Error).message}`)
    }
  }
  if (mediaType === undefined || !recordMediaTypes.includes(mediaType)) {
    // Only a body-less request gets here: a body of another type is refused by the '*' parser.
    throw unsupportedMediaType(mediaType === undefined ? 'the request has no Content-Type' : `${mediaType} is not read`)
  }
  const records: unknown[] = []
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue
    try {
      records.push(parseRecordJson(line))
    } catch (error) {
      throw new FlexError('MALFORMED_BODY', `Line ${i + 1} is not valid JSON: ${(error as Error).message}`)
    }
  }
  return records
}

function unsupportedMediaType(problem: string): FlexError {
  return new FlexError(
    'UNSUPPORTED_MEDIA_TYPE',
    `${problem}; send records as application/json (a JSON array) or application/x-ndjson (one record per line), in UTF-8.`,
  )
}
