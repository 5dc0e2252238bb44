import { z } from 'zod'
import { eventCatalogue } from './event-catalogue.ts'
import { eventEnvelope } from './event-envelope.ts'

// schemas/webhooks/event-types.json: the catalogue as receivers read it, generated from the zod
// definitions so that it cannot drift from them (test/exports/published-schemas.test.ts).

const toJson = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12' })

export function eventTypesDocument(): Record<string, unknown> {
  return {
    $id: 'https://flex.dev/schemas/webhooks/event-types.json',
    title: 'Webhook event types',
    description:
      'Every event type a webhook can subscribe to (or a dot-separated prefix of them), with the JSON Schema ' +
      'and an example of its `data`. Each delivery body is the envelope, with `data` as the type defines it.',
    envelope: toJson(eventEnvelope(z.unknown())),
    types: eventCatalogue.map((e) => ({
      type: e.type,
      source: e.source,
      publishable: e.publishable,
      description: e.description,
      data: toJson(e.data),
      example: e.example,
    })),
  }
}

/** Every published webhook file: path under schemas/ -> contents. */
export function webhookSchemaFiles(): Map<string, string> {
  return new Map([['webhooks/event-types.json', `${JSON.stringify(eventTypesDocument(), null, 2)}\n`]])
}
