import { z } from 'zod'
import { defineEntity } from '../entity-definition.ts'
import { attributes, currency, decimal, externalId, sourceUpdatedAt, text } from '../fields.ts'

export const productSchema = z.strictObject({
  /** The SKU. */
  id: externalId,
  name: text(500).min(1),
  category: text(200).nullable().optional(),
  price: decimal({ min: 0 }).nullable().optional(),
  currency: currency.nullable().optional(),
  attributes: attributes.optional(),
  updated_at: sourceUpdatedAt,
})

export type ProductInput = z.infer<typeof productSchema>

export const products = defineEntity({
  type: 'products',
  eventPrefix: 'PRODUCT',
  table: 'products',
  schema: productSchema,
  columns: (r) => ({
    name: r.name,
    category: r.category ?? null,
    price: r.price ?? null,
    currency: r.currency ?? null,
    attributes: r.attributes ?? {},
  }),
  references: () => [],
})
