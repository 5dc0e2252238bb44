import { z } from 'zod'
import { defineEntity } from '../entity-definition.ts'
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

export const transactions = defineEntity({
  type: 'transactions',
  eventPrefix: 'TRANSACTION',
  table: 'transactions',
  schema: transactionSchema,
  columns: (r) => ({
    customer_id: r.customer_id ?? null,
    outlet_id: r.outlet_id ?? null,
    occurred_at: r.occurred_at,
    status: r.status,
    currency: r.currency,
    total_amount: r.total_amount,
  }),
  references: (r) => [
    ...(r.customer_id ? [{ field: 'customer_id', targetType: 'customers' as const, targetId: r.customer_id }] : []),
    ...(r.outlet_id ? [{ field: 'outlet_id', targetType: 'outlets' as const, targetId: r.outlet_id }] : []),
    ...r.items.map((item, i) => ({ field: `items.${i}.sku`, targetType: 'products' as const, targetId: item.sku })),
  ],
  children: {
    table: 'transaction_items',
    parentColumn: 'transaction_id',
    field: 'items',
    orderColumn: 'line_no',
    rows: (r) =>
      r.items.map((item, i) => ({
        line_no: i + 1,
        sku: item.sku,
        quantity: item.quantity,
        unit_price: item.unit_price,
        amount: item.amount,
      })),
  },
})
