import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import { appendOutboxEvents } from '../outbox/append-outbox-events.ts'
import { lockBrandForIngest } from './brand-lock.ts'
import { deletedContentHash } from './content-hash.ts'

export type DeleteOutcome = 'deleted' | 'already_deleted' | 'not_found'

/**
 * Erases a customer's personal data (contact details, names, birth date, attributes) and marks it
 * deleted; change events name the customer but hold no copy of its data. The row stays, so
 * transactions and events that reference the customer stay valid and resolved. Later updates of a
 * deleted customer are answered as stale (classify in store-batch.ts), so an out-of-order update cannot
 * bring the data back.
 */
export async function deleteCustomer(
  db: Kysely<Database>,
  brandId: string,
  id: string,
  at: Date = new Date(),
): Promise<DeleteOutcome> {
  return db.transaction().execute(async (trx) => {
    await lockBrandForIngest(trx, brandId)
    const existing = await trx
      .selectFrom('customers')
      .select(['deleted_at'])
      .where('brand_id', '=', brandId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!existing) return 'not_found'
    if (existing.deleted_at) return 'already_deleted'
    await trx
      .updateTable('customers')
      .set({
        email: null,
        phone: null,
        first_name: null,
        last_name: null,
        birth_date: null,
        email_consent: false,
        sms_consent: false,
        attributes: '{}',
        deleted_at: at,
        // Any later version loses against a deletion: classify answers stale for this hash.
        // source_updated_at keeps the source's time of the version that was erased.
        content_hash: deletedContentHash,
      })
      .where('brand_id', '=', brandId)
      .where('id', '=', id)
      .execute()
    await appendOutboxEvents(trx, brandId, [{ eventType: 'CUSTOMER.DELETED', entityType: 'customers', entityId: id }])
    return 'deleted'
  })
}
