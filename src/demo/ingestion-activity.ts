import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import { entities } from '../ingest/entities/index.ts'
import { ingestRecords } from '../ingest/ingest-records.ts'

/**
 * A morning of ingestion for each demo brand, through the ingestion engine itself, so that the
 * console's ingestion page and overview have something to show: customers updated and created,
 * transactions of which some name a customer or an outlet that has not arrived (their references
 * wait), one sent twice (unchanged), and records that break a rule each (a bad email, a missing
 * time, an unknown field, a status outside the list, an id with a space).
 */
export async function ingestDemoActivity(db: Kysely<Database>, brandIds: readonly string[], now: Date): Promise<void> {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString()
  for (const brandId of brandIds) {
    await ingestRecords(db, brandId, entities.customers, [
      { id: 'C000001', email: 'first.customer@example.com', email_consent: true, updated_at: at(50) },
      { id: 'C000002', first_name: 'Ada', updated_at: at(50) },
      { id: 'C900001', email: 'new.customer@example.com', first_name: 'Noor', updated_at: at(45) },
      { id: 'C900002', email: 'not-an-email', updated_at: at(45) },
      { id: 'C900003', email: 'late@example.com' },
      { id: 'C900004', loyalty_tier: 'gold', updated_at: at(44) },
    ])
    const transaction = (id: string, customerId: string, outletId: string, minutesAgo: number) => ({
      id,
      customer_id: customerId,
      outlet_id: outletId,
      occurred_at: at(minutesAgo),
      status: 'completed',
      currency: 'EUR',
      total_amount: '12.50',
      items: [{ sku: 'SKU-10001', quantity: '1', unit_price: '12.50', amount: '12.50' }],
      updated_at: at(minutesAgo),
    })
    const transactions = [
      transaction('T900001', 'C000001', 'OUT-001', 40),
      transaction('T900002', 'C900001', 'OUT-001', 35),
      transaction('T900003', 'C990001', 'OUT-001', 30),
      transaction('T900004', 'C990002', 'OUT-999', 20),
    ]
    await ingestRecords(db, brandId, entities.transactions, [
      ...transactions,
      { ...transaction('T900005', 'C000002', 'OUT-001', 15), status: 'shipped' },
      { ...transaction('T 900006', 'C000002', 'OUT-001', 10) },
    ])
    await ingestRecords(db, brandId, entities.transactions, transactions.slice(0, 1))
  }
}
