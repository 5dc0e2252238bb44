import { describe, expect, it } from 'vitest'
import { ingestDemoActivity } from '../../src/demo/ingestion-activity.ts'
import { ingestionSummary } from '../../src/ingest/ingestion-summary.ts'
import { rejectionPage } from '../../src/ingest/rejection-log.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()

describe('the demo ingestion', () => {
  it('leaves each brand counts of every kind, waiting references and rejections of several rules', async () => {
    const db = database.current.handle.db
    await addBrand(db, 'demo-a', 'Europe/Berlin')
    await addBrand(db, 'demo-b', 'Asia/Tokyo')
    const now = new Date()
    await ingestDemoActivity(db, ['demo-a', 'demo-b'], now)
    for (const brandId of ['demo-a', 'demo-b']) {
      const summary = await ingestionSummary(db, brandId, now)
      const of = (type: string) => summary.counts.find((c) => c.entity_type === type)
      expect(of('customers')).toMatchObject({ created: 3, rejected: 3 })
      expect(of('transactions')).toMatchObject({ created: 4, unchanged: 1, rejected: 2 })
      // Without the demo's products and outlets (not made here), their references wait as well.
      expect(summary.waiting.map((w) => [w.source_type, w.target_type])).toEqual(
        expect.arrayContaining([
          ['transactions', 'customers'],
          ['transactions', 'outlets'],
        ]),
      )
      expect(summary.waiting.find((w) => w.target_type === 'customers')).toMatchObject({ waiting: 2 })
      const { rejections } = await rejectionPage(db, brandId, { size: 20 })
      expect(new Set(rejections.flatMap((r) => r.errors.map((e) => e.rule)))).toEqual(
        new Set(['format', 'required', 'unknown_field', 'allowed_values']),
      )
    }
  })
})
