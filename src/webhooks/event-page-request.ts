import { FlexError } from '../errors.ts'
import { uuidPattern } from '../uuid-pattern.ts'
import { type EventPageQuery, eventPageSizes } from './delivery-history.ts'

const queryFields = ['size', 'start', 'end', 'startId']
// RFC 3339 date-time with an offset, as the seed's `format: date-time` means.
const dateTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/i

/** The query of GET .../webhooks/{id}/events; a 422 naming each parameter that breaks its rule. */
export function parseEventPageQuery(query: Record<string, unknown>): EventPageQuery {
  const validations: Record<string, string> = {}
  for (const name of Object.keys(query)) {
    if (!queryFields.includes(name))
      validations[name] = `unknown parameter; the parameters are ${queryFields.join(', ')}`
  }
  const single = (name: string): string | undefined => {
    const value = query[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string') {
      validations[name] = `give ${name} once`
      return undefined
    }
    return value
  }

  let size: number = eventPageSizes.default
  const sizeText = single('size')
  if (sizeText !== undefined) {
    if (!/^\d{1,6}$/.test(sizeText) || Number(sizeText) < 1 || Number(sizeText) > eventPageSizes.max) {
      validations.size = `size must be a whole number from 1 to ${eventPageSizes.max}`
    } else size = Number(sizeText)
  }

  const instant = (name: string): Date | undefined => {
    const text = single(name)
    if (text === undefined) return undefined
    const at = dateTimePattern.test(text) ? new Date(text) : undefined
    if (at === undefined || Number.isNaN(at.getTime())) {
      validations[name] = `${name} must be a date-time with an offset, such as 2026-11-30T09:00:00Z`
      return undefined
    }
    return at
  }
  const start = instant('start')
  const end = instant('end')
  if (start && end && start > end) validations.start = 'start must not be after end'

  const startId = single('startId')
  if (startId !== undefined && !uuidPattern.test(startId)) {
    validations.startId = 'startId must be an event id (a uuid), as page.lastId gives it'
  }

  if (Object.keys(validations).length > 0) {
    throw new FlexError('INVALID_QUERY', 'There are errors in the query: fix the parameters named in validations.', {
      validations,
    })
  }
  return { size, start, end, startId: startId?.toLowerCase() }
}
