import { uuidPattern } from '../uuid-pattern.ts'
import { type DeliveryStatus, deliveryStatuses, type EventPageQuery, eventPageSizes } from './delivery-history.ts'
import { subscriptionCovers, subscriptionProblem, testEventType } from './event-catalogue.ts'
import { readQuery } from './query-reader.ts'

const queryFields = ['size', 'start', 'end', 'status', 'type', 'startId']

/** The query of GET .../webhooks/{id}/events; a 422 naming each parameter that breaks its rule. */
export function parseEventPageQuery(query: Record<string, unknown>): EventPageQuery {
  const reader = readQuery(query, queryFields)

  let size: number = eventPageSizes.default
  const sizeText = reader.text('size')
  if (sizeText !== undefined) {
    if (!/^\d{1,6}$/.test(sizeText) || Number(sizeText) < 1 || Number(sizeText) > eventPageSizes.max) {
      reader.invalid('size', `size must be a whole number from 1 to ${eventPageSizes.max}`)
    } else size = Number(sizeText)
  }

  const start = reader.instant('start')
  const end = reader.instant('end')
  if (start && end && start > end) reader.invalid('start', 'start must not be after end')

  const statusText = reader.text('status')
  const status = deliveryStatuses.find((s) => s === statusText)
  if (statusText !== undefined && status === undefined) {
    reader.invalid('status', `status must be one of ${deliveryStatuses.join(', ')}`)
  }

  const type = reader.text('type')
  if (type !== undefined && !isLoggedType(type)) {
    reader.invalid(
      'type',
      `type must be an event type or a prefix of types from the catalogue (or ${testEventType}), such as ORDER_EVENTS`,
    )
  }

  const startId = reader.text('startId')
  if (startId !== undefined && !uuidPattern.test(startId)) {
    reader.invalid('startId', 'startId must be an event id (a uuid), as page.lastId gives it')
  }

  reader.finish()
  return { size, start, end, status: status as DeliveryStatus | undefined, type, startId: startId?.toLowerCase() }
}

/** A type a delivery can have: a catalogue type or prefix, or the test event's type or a prefix of it. */
function isLoggedType(type: string): boolean {
  return type !== '' && (subscriptionProblem(type) === undefined || subscriptionCovers(type, testEventType))
}
