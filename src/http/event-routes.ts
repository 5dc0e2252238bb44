import type { FastifyPluginAsync } from 'fastify'
import type { z } from 'zod'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import { parseRecordJson } from '../ingest/record-json.ts'
import { type PublishOutcome, publishEvents } from '../webhooks/publish-event.ts'
import { parsePublishRequest } from '../webhooks/publish-request.ts'
import type { publishResponse } from './response-schemas.ts'
import type { BrandParams } from './route-params.ts'

export interface EventRoutesOptions {
  database: DatabaseHandle
}

/** Up to 100 events with their data; more bytes answer 413. */
export const publishBodyLimit = 1024 * 1024

/**
 * Publishing events, registered under /v1 behind the API key check: the brand's upstream systems
 * (order management, carrier tracking, point of sale, SMS gateway) send the events that no part
 * of the platform produces, for delivery to the brand's webhooks.
 *   POST /:brandId/events   {"events": [{"id", "type", "data"}, ...]} -> 202, one outcome per event
 */
export const eventRoutes: FastifyPluginAsync<EventRoutesOptions> = async (app, options) => {
  const { db } = options.database

  // Encapsulated here: JSON bodies only, kept as text (request signatures cover the raw bytes),
  // parsed so that a number a double would alter is seen as written; malformed JSON is a 400.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      done(unsupportedMediaType(`charset=${charset} is not read`), undefined)
      return
    }
    request.rawBody = body as string
    try {
      done(null, parseRecordJson(body as string))
    } catch (error) {
      done(
        new FlexError('MALFORMED_BODY', `The body is not valid JSON: ${(error as Error).message}; send a JSON object.`),
        undefined,
      )
    }
  })
  app.addContentTypeParser('*', (request, _payload, done) => {
    done(unsupportedMediaType(`Content-Type ${request.headers['content-type'] ?? '(none)'} is not read`), undefined)
  })

  app.post<{ Params: BrandParams; Body: unknown }>(
    '/:brandId/events',
    { bodyLimit: publishBodyLimit },
    async (request, reply) => {
      const { brandId } = request.params
      const events = parsePublishRequest(request.body)
      const results = await publishEvents(db, brandId, events)
      const summary: Record<PublishOutcome, number> = { created: 0, duplicate: 0 }
      for (const { outcome } of results) summary[outcome]++
      request.log.info({ brandId, ...summary }, 'events published')
      const answer: z.infer<typeof publishResponse> = {
        summary,
        results: results.map(({ id, outcome }, index) => ({ index, id, outcome })),
      }
      return reply.status(202).send(answer)
    },
  )
}

function unsupportedMediaType(problem: string): FlexError {
  return new FlexError(
    'UNSUPPORTED_MEDIA_TYPE',
    `${problem}; send the body as application/json in UTF-8 (curl: -H 'Content-Type: application/json').`,
  )
}
