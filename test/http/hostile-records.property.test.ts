import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/apikeys/api-key-repository.ts'
import { buildApp } from '../../src/http/app.ts'
import { type EntityType, entityTypes } from '../../src/ingest/entity-types.ts'
import { addBrand } from '../support/fixtures.ts'
import { flexDatabaseEnv, startFlexServer } from '../support/flex-process.ts'
import { type Mutation, mutationOf, RawNumber, toJsonText } from '../support/hostile-values.ts'
import { arbitraryFromSchema, type JsonSchema } from '../support/json-schema-arbitrary.ts'
import { useTestDatabase } from '../support/test-database.ts'

// Records generated from the published JSON Schemas (what an integrator reads), some of them given one
// hostile change each (a surrogate, a control or 4-byte character in any string; a number at or past
// the limits or one JSON cannot keep; a calendar edge; a prototype-named key), posted in batches to the
// API (as a JSON array or as NDJSON) of a started `flex serve` (a child process of bin/flex.js), against the real database. Whatever the input: no 5xx; every record is
// either stored exactly as sent (read back equal) or rejected naming its field and rule; and every
// unchanged (valid) record of the batch is stored.

const database = useTestDatabase()
const runs = Number(process.env.FLEX_PROPERTY_RUNS ?? 200)
let baseUrl: string
let close: () => Promise<void>

const schemas = {} as Record<EntityType, JsonSchema>
/** Top-level fields that hold free-form objects (attributes, properties), from the schemas. */
const freeForm = {} as Record<EntityType, string[]>

beforeAll(async () => {
  for (const type of entityTypes) {
    const schema = JSON.parse(await readFile(`schemas/ingest/${type}.schema.json`, 'utf8')) as JsonSchema
    schemas[type] = schema
    freeForm[type] = Object.entries(schema.properties ?? {})
      .filter(([, p]) => [p, ...(p.anyOf ?? [])].some((s) => typeof s.additionalProperties === 'object'))
      .map(([name]) => name)
  }
  if (database.current.kind === 'pglite') {
    // The embedded database is one process: brands made per run by this test could not reach a
    // `flex serve` of its own, so the same app listens on a real socket in this process instead.
    const app = buildApp({ database: database.current.handle })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('the server has no port')
    baseUrl = `http://127.0.0.1:${address.port}`
    close = () => app.close()
    return
  }
  const server = await startFlexServer({ env: await flexDatabaseEnv(database.current) })
  baseUrl = server.url
  close = async () => {
    expect(await server.stop('SIGTERM')).toBe(0)
  }
})

afterAll(async () => {
  await close?.()
})

interface Case {
  type: EntityType
  records: Record<string, unknown>[]
  mutations: (Mutation | undefined)[]
  ndjson: boolean
}

const cases: fc.Arbitrary<Case> = fc.constantFrom(...entityTypes).chain((type) =>
  fc
    .uniqueArray(arbitraryFromSchema(schemas[type]) as fc.Arbitrary<Record<string, unknown>>, {
      minLength: 1,
      maxLength: 8,
      selector: (r) => r.id,
    })
    .chain((records) =>
      fc
        .tuple(...records.map((r) => fc.option(mutationOf(r, freeForm[type]), { nil: undefined, freq: 2 })))
        .chain((mutations) => fc.boolean().map((ndjson) => ({ type, records, mutations, ndjson }))),
    ),
)

let brandCount = 0

async function freshBrand(): Promise<{ brand: string; key: string }> {
  const brand = `prop-${++brandCount}-${randomBytes(3).toString('hex')}`
  await addBrand(database.current.handle.db, brand, 'Europe/Berlin')
  return { brand, key: (await createApiKey(database.current.handle.db, brand)).key }
}

describe('hostile records through the API', () => {
  it('never answers 5xx, stores each record exactly as sent or rejects it naming field and rule, and keeps every valid neighbour', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ({ type, records, mutations, ndjson }) => {
        const { brand, key } = await freshBrand()
        const sent = records.map((record, i) => mutations[i]?.apply(record) ?? record)
        const headers = { authorization: `Bearer ${key}` }
        const response = await fetch(`${baseUrl}/v1/${brand}/${type}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
          body: ndjson ? sent.map(toJsonText).join('\n') : toJsonText(sent),
        })
        const text = await response.text()
        expect(response.status, text).toBeLessThan(500)
        const { results } = JSON.parse(text) as { results: Result[] }
        expect(results.map((r) => r.index)).toEqual(sent.map((_, i) => i))
        for (const [i, result] of results.entries()) {
          const what = `${type} record ${i}${mutations[i] ? ` with ${mutations[i].describe}` : ' (valid)'}: ${text.slice(0, 2000)}`
          if (mutations[i] === undefined) expect(result.outcome, what).toBe('created')
          if (result.outcome === 'rejected') {
            expect(result.errors.length, what).toBeGreaterThan(0)
            for (const error of result.errors) {
              expect(error.field, what).not.toBe('')
              expect(error.message, what).not.toMatch(/^Invalid input\.?$/)
            }
            continue
          }
          expect(result.outcome, what).toBe('created')
          const record = sent[i] as Record<string, unknown>
          const read = await fetch(`${baseUrl}/v1/${brand}/${type}/${encodeURIComponent(String(record.id))}`, {
            headers,
          })
          const readText = await read.text()
          expect(read.status, `${what}\nGET: ${readText}`).toBe(200)
          const { entity } = JSON.parse(readText) as { entity: Record<string, unknown> }
          const mismatch = differenceFromSent(record, entity, schemas[type], freeForm[type])
          expect(mismatch, `${what}\nread back: ${readText}`).toBeUndefined()
        }
      }),
      { numRuns: runs },
    )
  })
})

type Result =
  | { index: number; outcome: 'created' | 'updated' | 'unchanged' | 'stale' }
  | { index: number; outcome: 'rejected'; errors: { field: string; message: string }[] }

/** Where the stored entity differs from the record as sent, or undefined when it reads back equal. */
function differenceFromSent(
  sent: Record<string, unknown>,
  entity: Record<string, unknown>,
  schema: JsonSchema,
  freeFormFields: readonly string[],
): string | undefined {
  for (const [field, value] of Object.entries(sent)) {
    // The record's updated_at is the source's time, kept as source_updated_at (docs/ingestion.md).
    const stored = entity[field === 'updated_at' ? 'source_updated_at' : field]
    const difference = compare(value, stored, field, schema.properties?.[field], freeFormFields.includes(field))
    if (difference) return difference
  }
  return undefined
}

/** The schema's branches, nullable ones (anyOf with null) included. */
function branches(schema: JsonSchema | undefined): JsonSchema[] {
  if (schema === undefined) return []
  const nested = schema.anyOf ?? schema.oneOf
  return nested ? nested.flatMap(branches) : [schema]
}

/** A decimal field: published as a string of at most 12 digits before and 4 after the point. */
const isDecimal = (schema: JsonSchema | undefined) =>
  branches(schema).some((b) => b.type === 'string' && b.pattern?.includes('\\d{1,12}(\\.\\d{1,4})?'))

function compare(
  sent: unknown,
  read: unknown,
  path: string,
  schema: JsonSchema | undefined,
  exactKeys: boolean,
): string | undefined {
  const differ = () => `${path}: sent ${show(sent)}, read ${show(read)}`
  // A decimal is kept as the same number with the same digits after the point: "1.50" may not
  // read "1.5" or "1.5000", but leading zeros and the sign of zero are not kept (docs/ingestion.md).
  if (isDecimal(schema) && typeof sent === 'string' && typeof read === 'string') {
    return sameDecimal(sent, read) && scaleOf(sent) === scaleOf(read) ? undefined : differ()
  }
  if (sent instanceof RawNumber || typeof sent === 'number') {
    const text = sent instanceof RawNumber ? sent.text : String(sent)
    return (typeof read === 'number' || typeof read === 'string') && sameDecimal(text, String(read))
      ? undefined
      : differ()
  }
  if (typeof sent === 'string') {
    if (isInstant(sent))
      return typeof read === 'string' && instantMicros(sent) === instantMicros(read) ? undefined : differ()
    return read === sent ? undefined : differ()
  }
  if (sent === null || typeof sent === 'boolean') return read === sent ? undefined : differ()
  if (Array.isArray(sent)) {
    if (!Array.isArray(read) || read.length !== sent.length) return differ()
    for (const [i, item] of sent.entries()) {
      const itemSchema = branches(schema).find((b) => b.items)?.items
      const difference = compare(item, read[i], `${path}.${i}`, itemSchema, false)
      if (difference) return difference
    }
    return undefined
  }
  if (typeof sent === 'object') {
    if (read === null || typeof read !== 'object') return differ()
    const readObject = read as Record<string, unknown>
    if (exactKeys && Object.keys(readObject).sort().join('\u0000') !== Object.keys(sent).sort().join('\u0000')) {
      return `${path}: sent keys ${show(Object.keys(sent))}, read keys ${show(Object.keys(readObject))}`
    }
    for (const [key, value] of Object.entries(sent)) {
      if (!Object.hasOwn(readObject, key)) return `${path}.${key}: sent ${show(value)}, missing when read`
      const propertySchema = branches(schema).find((b) => b.properties)?.properties?.[key]
      const difference = compare(value, readObject[key], `${path}.${key}`, propertySchema, false)
      if (difference) return difference
    }
    return undefined
  }
  return differ()
}

const show = (value: unknown) => toJsonText(value)

const isInstant = (s: string) => /^[+-]?\d{4,}-\d\d-\d\dT/.test(s)

/**
 * An instant to the microsecond, from ISO 8601 with an offset (and the expanded years JavaScript
 * writes past 9999, +010000); digits past the sixth must be zeros.
 */
function instantMicros(text: string): bigint | string {
  const m = /^([+-]?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text)
  if (!m) return `unparsable ${text}`
  const [, year, month, day, hour, minute, second, fraction = '', zone] = m
  if (/[1-9]/.test(fraction.slice(6))) return `finer than microseconds: ${text}`
  const date = new Date(0)
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day))
  date.setUTCHours(Number(hour), Number(minute), Number(second), 0)
  const offsetMinutes =
    zone === 'Z' ? 0 : (zone?.startsWith('-') ? -1 : 1) * (Number(zone?.slice(1, 3)) * 60 + Number(zone?.slice(4, 6)))
  return (
    BigInt(date.getTime()) * 1000n + BigInt(fraction.padEnd(6, '0').slice(0, 6)) - BigInt(offsetMinutes) * 60_000_000n
  )
}

/** Whether two decimal texts (plain or with an exponent) denote the same number exactly. */
function sameDecimal(a: string, b: string): boolean {
  return canonicalDecimal(a) === canonicalDecimal(b)
}

const scaleOf = (decimal: string) => decimal.split('.')[1]?.length ?? 0

function canonicalDecimal(text: string): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim())
  if (!m) return `not a decimal: ${text}`
  const [, sign, whole = '', fraction = '', exponent = '0'] = m
  let digits = `${whole}${fraction}`.replace(/^0+/, '')
  if (digits === '') return '0'
  let scale = BigInt(exponent) - BigInt(fraction.length)
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1)
    scale++
  }
  return `${sign}${digits}e${scale}`
}
