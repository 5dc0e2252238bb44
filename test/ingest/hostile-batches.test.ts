import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { entities } from '../../src/ingest/entities/index.ts'
import { ingestRecords } from '../../src/ingest/ingest-records.ts'
import { readEntity } from '../../src/ingest/read-entity.ts'
import { parseRecordJson } from '../../src/ingest/record-json.ts'
import { addBrand } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// Generated batches mixing valid records with hostile ones, stored in the real database: the
// engine never fails a batch, every record is stored exactly as sent or rejected naming a field,
// and every valid neighbour is stored.

const database = useTestDatabase()
const db = () => database.current.handle.db

beforeAll(async () => {
  await addBrand(db(), 'hostile', 'UTC')
})

const hostileChar = fc.constantFrom(
  '\ud800',
  '\udfff',
  '\u0000',
  '\u0007',
  '\u007f',
  '\u0080',
  '\u0085',
  '\u009f',
  '\t',
  '\n',
  '😀',
  '\ufeff',
  '山',
  '"',
  '\\',
)
const hostileText = fc
  .array(fc.oneof(hostileChar, fc.string({ maxLength: 3, unit: 'binary' })), { maxLength: 6 })
  .map((parts) => parts.join(''))
const hostileNumberJson = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '1e-400', '12345678901234567890', '0.1234567890123456789', '-0', '1.50', '1E2'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
)
const hostileDateText = fc.constantFrom(
  '0000-01-01',
  '0001-01-01',
  '9999-12-31',
  '10000-01-01',
  '2024-02-29',
  '2025-02-29',
  '2026-13-01',
)
const hostileInstantText = fc.constantFrom(
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+01:00',
  '9999-12-31T23:59:59.999999-01:00',
  '10000-01-01T00:00:00Z',
  '2026-11-21T09:30:00.1234567Z',
  '2026-11-21T09:30:00.1234560Z',
  '2026-11-21T09:30:00',
  '2026-11-21T09:30:00.076823+14:00',
)

/** A customer as JSON text, each field either valid or hostile. */
const customerJson = (id: string) =>
  fc
    .record({
      first_name: fc.option(hostileText),
      last_name: fc.option(fc.string({ maxLength: 10 })),
      birth_date: fc.option(fc.oneof(hostileDateText, fc.constant('1990-05-17'))),
      updated_at: fc.oneof(hostileInstantText, fc.constant('2026-11-21T09:30:00.076823+01:00')),
      attributes: fc.dictionary(
        fc.oneof(hostileText, fc.constantFrom('__proto__', 'constructor', 'toString')),
        fc.oneof(
          hostileText.map((t) => JSON.stringify(t)),
          hostileNumberJson,
          fc.constantFrom('true', 'null', '{"a":1}', '[1]'),
        ),
        { maxKeys: 4 },
      ),
    })
    .map((r) => {
      const fields = [`"id":${JSON.stringify(id)}`, `"updated_at":${JSON.stringify(r.updated_at)}`]
      if (r.first_name !== null) fields.push(`"first_name":${JSON.stringify(r.first_name)}`)
      if (r.last_name !== null) fields.push(`"last_name":${JSON.stringify(r.last_name)}`)
      if (r.birth_date !== null) fields.push(`"birth_date":${JSON.stringify(r.birth_date)}`)
      const attributes = Object.entries(r.attributes).map(([k, v]) => `${JSON.stringify(k)}:${v}`)
      fields.push(`"attributes":{${attributes.join(',')}}`)
      return `{${fields.join(',')}}`
    })

let run = 0
const seen = { created: 0, rejected: 0 }

describe('generated batches of hostile and valid customers', () => {
  it('store every valid record as sent and reject the others naming a field, never failing the batch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(customerJson('@id@'), { minLength: 1, maxLength: 6 }), async (generated) => {
        run++
        const size = generated.length
        const hostile = generated.map((text, i) => text.replace('"@id@"', JSON.stringify(`H-${run}-${i}`)))
        const valid = {
          id: `V-${run}`,
          first_name: 'Zoë 😀',
          attributes: { n: 1.5 },
          updated_at: '2026-11-21T09:30:00Z',
        }
        const texts = [...hostile, JSON.stringify(valid)]
        const records = parseRecordJson(`[${texts.join(',')}]`) as Record<string, unknown>[]
        const outcomes = await ingestRecords(db(), 'hostile', entities.customers, records)
        expect(outcomes.at(-1)).toEqual({ index: size, id: valid.id, outcome: 'created' })
        for (const [i, outcome] of outcomes.entries()) {
          // As JSON has it: a number as written, where -0 and 0 are the same number.
          const sent = JSON.parse(JSON.stringify(records[i]), (_key, value) => (Object.is(value, -0) ? 0 : value))
          if (i < size) seen[outcome.outcome === 'rejected' ? 'rejected' : 'created']++
          if (outcome.outcome === 'rejected') {
            expect(outcome.errors.length).toBeGreaterThan(0)
            for (const error of outcome.errors) expect(error.field).not.toBe('')
            continue
          }
          expect(outcome.outcome).toBe('created')
          const stored = (await readEntity(db(), 'hostile', entities.customers, String(sent.id)))?.entity
          expect(stored?.first_name ?? undefined).toEqual(sent.first_name)
          expect(stored?.attributes).toEqual(sent.attributes)
        }
      }),
      { numRuns: 150 },
    )
    // Both branches ran: generated records were stored and read back, and others rejected.
    expect(seen.created).toBeGreaterThan(20)
    expect(seen.rejected).toBeGreaterThan(20)
  })
})
