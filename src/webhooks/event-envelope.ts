import { z } from 'zod'

/**
 * The body of every delivery: the event, named, with its payload as `data`. The same bytes on
 * every attempt, so `id` (also sent as `webhook-id` and `X-Event-Id`) is the receiver's
 * deduplication key.
 */
export function eventEnvelope<Data extends z.ZodType>(data: Data) {
  return z.strictObject({
    id: z.uuid().meta({ description: 'The event id (a UUIDv7): the same on every retry; deduplicate by it' }),
    type: z.string().meta({ description: 'The event type, from the catalogue' }),
    timestamp: z.iso.datetime().meta({ description: 'When the event happened on the platform, a UTC instant' }),
    brandId: z.string().meta({ description: 'The brand the event belongs to' }),
    data: data.meta({ description: "The event's payload: its shape per type is in the catalogue" }),
  })
}

export type EventEnvelope<Data = unknown> = {
  id: string
  type: string
  timestamp: string
  brandId: string
  data: Data
}
