import { describe, expect, it } from 'vitest'
import { entitySchemas } from '../../src/ingest/entities/index.ts'

const at = '2026-11-21T09:30:00+01:00'

const valid = {
  customers: { id: 'C-1', email: 'zoe@example.com', first_name: 'Zoë', updated_at: at },
  customer_events: { id: 'E-1', customer_id: 'C-1', event_type: 'page_view', occurred_at: at, updated_at: at },
  transactions: {
    id: 'T-1',
    customer_id: 'C-1',
    outlet_id: 'O-1',
    occurred_at: at,
    status: 'completed',
    currency: 'EUR',
    total_amount: '19.98',
    items: [{ sku: 'SKU-1', quantity: 2, unit_price: '9.99', amount: '19.98' }],
    updated_at: at,
  },
  products: { id: 'SKU-1', name: 'Seife, "mild"', price: 9.99, currency: 'EUR', updated_at: at },
  groups: { id: 'G-DE', name: 'Deutschland', kind: 'national', updated_at: at },
  outlets: { id: 'O-1', name: 'Berlin Mitte', group_id: 'G-DE', country: 'DE', updated_at: at },
} as const

/** The field paths and messages a record is rejected with. */
function problems(entity: keyof typeof entitySchemas, record: unknown): string[] {
  const result = entitySchemas[entity].safeParse(record)
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

describe('ingestion entity schemas', () => {
  it('count characters as JSON Schema does, by code point: 200 four-byte characters fit a 200-character name', () => {
    expect(problems('groups', { ...valid.groups, name: '😀'.repeat(200) })).toEqual([])
    expect(problems('groups', { ...valid.groups, name: '😀'.repeat(201) })).toEqual([
      'name: must have at most 200 characters',
    ])
  })

  it.each(Object.keys(valid) as (keyof typeof valid)[])('accept a valid %s record', (entity) => {
    expect(problems(entity, valid[entity])).toEqual([])
  })

  it('keep decimals exact: strings as sent, JSON numbers as written', () => {
    const product = entitySchemas.products.parse(valid.products)
    expect(product.price).toBe('9.99')
    const transaction = entitySchemas.transactions.parse(valid.transactions)
    expect(transaction.items[0]?.quantity).toBe('2')
    expect(transaction.total_amount).toBe('19.98')
  })

  it.each([
    ['a missing id', 'customers', { ...valid.customers, id: undefined }, /^id: /],
    ['an id that is too long', 'customers', { ...valid.customers, id: 'x'.repeat(129) }, /^id: use 1-128 letters/],
    ['an id with a space', 'outlets', { ...valid.outlets, id: 'O 1' }, /^id: use 1-128 letters/],
    ['a wrong type', 'groups', { ...valid.groups, name: 42 }, /^name: .*string/],
    ['an unknown field', 'customers', { ...valid.customers, loyalty_tier: 'gold' }, /Unrecognized key.*loyalty_tier/],
    [
      'a timestamp without offset',
      'customer_events',
      { ...valid.customer_events, occurred_at: '2026-11-21T09:30:00' },
      /^occurred_at: /,
    ],
    ['an impossible date', 'customers', { ...valid.customers, birth_date: '2025-02-29' }, /^birth_date: /],
    [
      'a negative quantity',
      'transactions',
      { ...valid.transactions, items: [{ ...valid.transactions.items[0], quantity: '-1' }] },
      /^items\.0\.quantity: must be at least 0/,
    ],
    [
      'a control character',
      'products',
      { ...valid.products, name: 'Seife\u0007' },
      /^name: must not contain control characters/,
    ],
    ['an unknown status', 'transactions', { ...valid.transactions, status: 'done' }, /^status: /],
    [
      'a float amount with too many digits',
      'transactions',
      { ...valid.transactions, total_amount: '1.23456' },
      /^total_amount: must be a decimal/,
    ],
    [
      'a lower-case currency',
      'products',
      { ...valid.products, currency: 'eur' },
      /^currency: must be an ISO 4217 code/,
    ],
  ] as const)('reject %s, naming the field and the rule', (_case, entity, record, expected) => {
    const found = problems(entity, record)
    expect(found.length).toBeGreaterThan(0)
    expect(found.join('\n')).toMatch(expected)
  })

  it.each(['\u0080', '\u0085', '\u009f'])('reject the C1 control %j wherever text is accepted', (control) => {
    const cases: [keyof typeof valid, Record<string, unknown>, string][] = [
      ['products', { ...valid.products, name: `Seife${control}` }, 'name'],
      ['products', { ...valid.products, attributes: { [`k${control}`]: 'v' } }, `attributes.k${control}`],
      ['customers', { ...valid.customers, attributes: { k: `v${control}` } }, 'attributes.k'],
      ['customer_events', { ...valid.customer_events, properties: { k: `v${control}` } }, 'properties.k'],
      ['outlets', { ...valid.outlets, city: `Berlin${control}` }, 'city'],
    ]
    for (const [entity, record, field] of cases) {
      expect(problems(entity, record).join('\n')).toMatch(`${field}: `)
      expect(problems(entity, record).join('\n')).toMatch(/control characters/)
    }
  })

  it('accept line breaks and tabs in free text, and non-ASCII letters', () => {
    expect(problems('products', { ...valid.products, name: 'Seife\n\tmild, 山田' })).toEqual([])
  })
})
