import { z } from 'zod'
import { currency, decimal, externalId, instant, sourceUpdatedAt } from '../fields.ts'

const lineItem = z.strictObject({
  /** May reference a product that arrives later. */
  sku: externalId,
  quantity: decimal({ min: 0 }),
  unit_price: decimal(),
  amount: decimal(),
})

export const transactionSchema = z.strictObject({
  id: externalId,
  /** Both may arrive before or after the transaction; references wait until they exist. */
  customer_id: externalId.nullable().optional(),
  outlet_id: externalId.nullable().optional(),
  occurred_at: instant,
  status: z.enum(['pending', 'completed', 'cancelled', 'refunded']),
  currency,
  total_amount: decimal(),
  items: z.array(lineItem).max(1_000),
  updated_at: sourceUpdatedAt,
})

export type TransactionInput = z.infer<typeof transactionSchema>
