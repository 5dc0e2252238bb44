import { z } from 'zod'
import { entitySchemas } from '../ingest/entities/index.ts'
import { entityTypes } from '../ingest/entity-types.ts'
import { recordOutcomes } from '../ingest/record-outcome.ts'

const errorSchema = {
  type: 'object',
  required: ['message', 'description', 'status'],
  properties: {
    message: { type: 'string', description: 'The error message' },
    description: { type: 'string', description: 'A more detailed description of the error' },
    status: { type: 'number', description: 'This code matches the HTTP status code.' },
    validations: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'If the error is based on validation constraints, those constraints are in this map.',
    },
  },
}

const outcomeSchema = {
  type: 'object',
  required: ['index', 'outcome'],
  properties: {
    index: { type: 'integer', description: 'Position of the record in the request' },
    id: { type: 'string' },
    outcome: { enum: [...recordOutcomes] },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/APIErrorResponse' } } },
})

/** The ingestion API as OpenAPI 3.1, with the record schemas generated from the zod definitions. */
export function openApiDocument(): Record<string, unknown> {
  const schemas: Record<string, unknown> = { APIErrorResponse: errorSchema, RecordOutcome: outcomeSchema }
  for (const [name, schema] of Object.entries(entitySchemas)) {
    const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
    })
    schemas[name] = json
  }
  const security = [{ apiKey: [] }]
  const brandId = { name: 'brandId', in: 'path', required: true, schema: { type: 'string' } }
  const entity = { name: 'entity', in: 'path', required: true, schema: { enum: [...entityTypes] } }
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } }
  const common = {
    '401': errorResponse('No valid API key'),
    '403': errorResponse('The key belongs to another brand'),
    '429': errorResponse('Rate limit exceeded; see Retry-After'),
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Flex Ingestion API', version: '1.0.0', description: 'See docs/ingestion.md.' },
    components: {
      schemas,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'flex apikey create --brand B' } },
    },
    paths: {
      '/healthz': { get: { summary: 'Health check', responses: { '200': { description: 'Ready' } } } },
      '/v1/{brandId}/{entity}': {
        post: {
          summary: 'Create or update records',
          security,
          parameters: [
            brandId,
            entity,
            { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'array',
                  maxItems: 1000,
                  items: { oneOf: entityTypes.map((t) => ({ $ref: `#/components/schemas/${t}` })) },
                },
              },
              'application/x-ndjson': { schema: { type: 'string', description: 'One record per line' } },
            },
          },
          responses: {
            '200': { description: 'Every record stored, unchanged or stale' },
            '207': { description: 'Some records rejected, the others stored' },
            '400': errorResponse('Malformed JSON'),
            ...common,
            '413': errorResponse('Too many records or too large a body'),
            '415': errorResponse(
              'The body is not application/json or application/x-ndjson in UTF-8 (or has no Content-Type)',
            ),
            '422': errorResponse('Every record rejected, the body is not an array, or an idempotency key was reused'),
          },
        },
      },
      '/v1/{brandId}/{entity}/{id}': {
        get: {
          summary: 'A stored entity with the state of its references',
          security,
          parameters: [brandId, entity, id],
          responses: { '200': { description: 'The entity' }, ...common, '404': errorResponse('Not found') },
        },
      },
      '/v1/{brandId}/waiting-references': {
        get: {
          summary:
            'References still waiting for their entity, by referring and referenced type, with counts and the oldest (never dropped or expired)',
          security,
          parameters: [brandId],
          responses: { '200': { description: 'The waiting references' }, ...common },
        },
      },
      '/v1/{brandId}/customers/{id}': {
        delete: {
          summary: "Erase a customer's personal data",
          security,
          parameters: [brandId, id],
          responses: { '200': { description: 'Deleted' }, ...common, '404': errorResponse('Not found') },
        },
      },
    },
  }
}
