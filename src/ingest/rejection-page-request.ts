import { FlexError } from '../errors.ts'
import { type EntityType, entityTypes } from './entity-types.ts'
import type { RejectionPageQuery } from './rejection-log.ts'

export const rejectionPageSizes = { default: 20, max: 100 } as const

const queryFields = ['size', 'startId', 'entity']

/**
 * The query of GET .../ingestion/rejections (and of the console's ingestion page): a 422 naming
 * each parameter that breaks its rule. An empty value counts as absent, as an HTML form sends an
 * unchosen filter.
 */
export function parseRejectionPageQuery(query: Record<string, unknown>): RejectionPageQuery {
  const validations: Record<string, string> = {}
  for (const name of Object.keys(query)) {
    if (!queryFields.includes(name))
      validations[name] = `unknown parameter; the parameters are ${queryFields.join(', ')}`
  }
  const single = (name: string): string | undefined => {
    const value = query[name]
    if (value === undefined || value === '') return undefined
    if (typeof value !== 'string') {
      validations[name] = `give ${name} once`
      return undefined
    }
    return value
  }

  let size: number = rejectionPageSizes.default
  const sizeText = single('size')
  if (sizeText !== undefined) {
    if (!/^\d{1,6}$/.test(sizeText) || Number(sizeText) < 1 || Number(sizeText) > rejectionPageSizes.max) {
      validations.size = `size must be a whole number from 1 to ${rejectionPageSizes.max}`
    } else size = Number(sizeText)
  }

  let startId: number | undefined
  const startText = single('startId')
  if (startText !== undefined) {
    if (!/^[1-9]\d{0,14}$/.test(startText)) {
      validations.startId = 'startId must be a rejection id (a whole number from 1), as page.lastId gives it'
    } else startId = Number(startText)
  }

  const entity = single('entity')
  if (entity !== undefined && !(entityTypes as readonly string[]).includes(entity)) {
    validations.entity = `entity must be one of ${entityTypes.join(', ')}`
  }

  if (Object.keys(validations).length > 0) {
    throw new FlexError('INVALID_QUERY', 'There are errors in the query: fix the parameters named in validations.', {
      validations,
    })
  }
  return { size, startId, entity: entity as EntityType | undefined }
}
