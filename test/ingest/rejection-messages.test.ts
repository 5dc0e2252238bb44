import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { entities } from '../../src/ingest/entities/index.ts'
import type { EntityType } from '../../src/ingest/entity-types.ts'
import { prepareBatch } from '../../src/ingest/prepare-batch.ts'
import { parseRecordJson } from '../../src/ingest/record-json.ts'
import { rejectionRules } from '../../src/ingest/record-outcome.ts'
import { fullRecords } from '../support/fixtures.ts'

// Every rejection names the field and what was expected (type, format, limit): a bare
// "Invalid input" tells an integrator nothing.

const valid = fullRecords

/** Values that are wrong almost anywhere: other types, hostile strings and numbers, calendar edges. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    true,
    false,
    null,
    0,
    -1,
    1.5,
    '',
    ' ',
    'a\ud800b',
    'x\u0000',
    '\u0085',
    '😀'.repeat(300),
    '0000-01-01',
    '2026-02-29',
    '10000-01-01T00:00:00Z',
    '2026-11-21T09:30:00',
    '2026-11-21T09:30:00.1234567Z',
    '1.23456',
    '-0.01',
    '1e5',
    'x'.repeat(3_000),
    [],
    {},
    { nested: { deep: 1 } },
    [1, 'a'],
  ),
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 20, unit: 'binary' }),
  fc
    .constantFrom('1e400', '1e-400', '12345678901234567890', '0.1234567890123456789', '-0', '1E2')
    .map((source) => parseRecordJson(source)),
)

type Mutation = (record: Record<string, unknown>) => unknown

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((n) => (record: Record<string, unknown>) => {
    const keys = Object.keys(record)
    const { [keys[n % keys.length] ?? 'id']: _removed, ...rest } = record
    return rest
  }),
  fc.tuple(fc.nat(), hostileValue).map(([n, value]) => (record: Record<string, unknown>) => {
    const keys = Object.keys(record)
    return { ...record, [keys[n % keys.length] ?? 'id']: value }
  }),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 10 }), hostileValue)
    .map(([key, value]) => (record: Record<string, unknown>) => ({
      ...record,
      [key]: value,
    })),
  fc
    .tuple(fc.constantFrom('sku', 'quantity', 'unit_price', 'amount'), hostileValue)
    .map(([key, value]) => (record: Record<string, unknown>) => ({
      ...record,
      items: [{ ...((record.items as Record<string, unknown>[] | undefined)?.[0] ?? {}), [key]: value }],
    })),
  fc.tuple(fc.string({ maxLength: 70 }), hostileValue).map(([key, value]) => (record: Record<string, unknown>) => ({
    ...record,
    attributes: { ...(record.attributes as object | undefined), [key]: value },
    properties: { ...(record.properties as object | undefined), [key]: value },
  })),
  hostileValue.map((value) => () => value),
)

describe('rejections of malformed records', () => {
  it('name a field and what was expected, never a bare "Invalid input"', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...(Object.keys(valid) as EntityType[])),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (type, mutations) => {
          const record = mutations.reduce<unknown>(
            (r, m) => m(typeof r === 'object' && r !== null && !Array.isArray(r) ? (r as Record<string, unknown>) : {}),
            valid[type],
          )
          const { rejected } = await prepareBatch(entities[type], [record])
          for (const outcome of rejected) {
            expect(outcome.errors.length).toBeGreaterThan(0)
            for (const error of outcome.errors) {
              const seen = JSON.stringify(error)
              expect(error.field, seen).not.toBe('')
              expect(rejectionRules, seen).toContain(error.rule)
              expect(error.rule, seen).not.toBe('invalid')
              expect(error.message, seen).not.toMatch(/^Invalid|^Too (big|small)|^Unrecognized/)
              expect(error.message.length, seen).toBeGreaterThan(12)
            }
          }
        },
      ),
      { numRuns: 3_000 },
    )
  })

  it.each([
    ['a missing total_amount', { total_amount: undefined }, 'total_amount', 'required', /^required: a decimal/],
    [
      'total_amount: true',
      { total_amount: true },
      'total_amount',
      'type',
      /^expected a decimal string or number, got a boolean/,
    ],
    ['a status outside the list', { status: 'done' }, 'status', 'allowed_values', /"completed"/],
    ['a missing status', { status: undefined }, 'status', 'required', /got nothing/],
    ['items that are not an array', { items: 'x' }, 'items', 'type', /^expected an array, got a string/],
    ['an unknown field', { loyalty: 1 }, 'loyalty', 'unknown_field', /unknown field/],
    ['a missing id', { id: undefined }, 'id', 'required', /^required: /],
    ['an id that breaks the id rule', { id: 'a b' }, 'id', 'format', /^use 1-128 letters/],
    ['a malformed instant', { updated_at: '2026-11-21 09:30' }, 'updated_at', 'format', /ISO 8601/],
  ])('say what was expected for %s, and name the rule', async (_name, change, field, rule, message) => {
    const { rejected } = await prepareBatch(entities.transactions, [{ ...valid.transactions, ...change }])
    expect(rejected[0]).toMatchObject({
      errors: expect.arrayContaining([{ field, rule, message: expect.stringMatching(message) }]),
    })
  })

  it.each([
    ['a name with a control character', { first_name: 'a\u0007b' }, 'first_name', 'control_characters'],
    ['a name too long', { first_name: 'x'.repeat(201) }, 'first_name', 'maximum'],
    ['a lone surrogate', { first_name: '\ud800' }, 'first_name', 'unicode'],
    [
      'an attribute named __proto__',
      { attributes: JSON.parse('{"__proto__": 1}') },
      'attributes.__proto__',
      'reserved_key',
    ],
    ['a bad email', { email: 'not-an-email' }, 'email', 'format'],
  ])('name the rule of the field checks for %s', async (_name, change, field, rule) => {
    const { rejected } = await prepareBatch(entities.customers, [{ ...valid.customers, ...change }])
    expect(rejected[0]?.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]))
  })

  it('say what was expected of a nested attribute value and of a record that is not an object', async () => {
    const { rejected } = await prepareBatch(entities.customers, [
      { ...valid.customers, attributes: { k: { nested: 1 } } },
      42,
    ])
    expect(rejected).toMatchObject([
      {
        errors: [
          { field: 'attributes.k', rule: 'type', message: 'expected a string, number, boolean or null, got an object' },
        ],
      },
      { errors: [{ field: '(record)', rule: 'type', message: 'expected a record (a JSON object), got a number' }] },
    ])
  })
})
