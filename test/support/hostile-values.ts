import fc from 'fast-check'

/** A JSON number written exactly as this text (1e400, -0, 0.1234567890123456789). */
export class RawNumber {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

// JSON.rawJSON (Node 21+) writes a number's text as given; TypeScript's lib does not declare it yet.
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON

/** The JSON text a client would send: lone surrogates escaped as \udXXX, raw numbers as written. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v instanceof RawNumber ? rawJson(v.text) : v))
}

export type Path = (string | number)[]

/** Every leaf of a JSON value with its path. */
export function leaves(value: unknown, path: Path = []): { path: Path; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]))
  if (value !== null && typeof value === 'object' && !(value instanceof RawNumber)) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]))
  }
  return [{ path, value }]
}

export function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value
  const [head, ...rest] = path
  if (Array.isArray(root)) return root.map((v, i) => (i === head ? setAt(v, rest, value) : v))
  const copy: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(root as Record<string, unknown>)) {
    // defineProperty, not assignment: a key named __proto__ stays an own property.
    const next = k === head ? setAt(v, rest, value) : v
    Object.defineProperty(copy, k, { value: next, enumerable: true, writable: true, configurable: true })
  }
  return copy
}

/** Characters that text fields must refuse or keep exactly. */
export const hostileCharacters = [
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u0080', // C1 controls
  '\u0085',
  '\u009f',
  '\u2028', // line and paragraph separators: allowed text, awkward for JavaScript
  '\ufeff',
  '😀', // 4-byte characters
  '𝄞',
  '\t',
  '\n',
] as const

/** Numbers at and past the documented limits (12 digits before the point, 4 after), and what JSON loses. */
export const hostileNumbers = [
  '999999999999.9999',
  '-999999999999.9999',
  '1000000000000',
  '0.0001',
  '0.00001',
  '1234.5678',
  '9.9999',
  '1.2345',
  '-0',
  '0',
  '1e2',
  '1E-4',
  '1e-400',
  '1e400',
  '-1e400',
  '12345678901234567890',
  '0.1234567890123456789',
  '123456789012.3456',
] as const

/** Calendar edges: leap days, year 0 and 10000, the last representable instant, more than microseconds. */
export const hostileDates = ['0000-01-01', '0001-01-01', '9999-12-31', '10000-01-01', '2024-02-29', '2023-02-29']
export const hostileInstants = [
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999Z',
  '9999-12-31T23:59:59.999999-01:00',
  '10000-01-01T00:00:00Z',
  '2024-02-29T12:00:00.000001+14:00',
  '2026-11-30T12:00:00.1234567Z',
  '2026-11-30T12:00:00.123456000Z',
  '2026-11-30T12:00:00.000000001Z',
]

/** Keys that JavaScript objects treat specially. */
export const prototypeKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']

export interface Mutation {
  path: Path
  describe: string
  apply(record: Record<string, unknown>): Record<string, unknown>
}

const isInstant = (s: string) => /^\d{4,}-\d\d-\d\dT/.test(s)
const isDate = (s: string) => /^\d{4,}-\d\d-\d\d$/.test(s)

/** One hostile change of a valid record: a character in a string, a number, a date, or a key. */
export function mutationOf(record: Record<string, unknown>, freeFormFields: readonly string[]): fc.Arbitrary<Mutation> {
  const all = leaves(record)
  const strings = all.filter((l) => typeof l.value === 'string')
  const numbers = all.filter((l) => typeof l.value === 'number' || isDecimalString(l.value))
  const options: fc.Arbitrary<Mutation>[] = []
  if (strings.length > 0) {
    options.push(
      fc
        .tuple(fc.constantFrom(...strings), fc.constantFrom(...hostileCharacters), fc.nat())
        .map(([leaf, character, at]) => {
          const text = leaf.value as string
          const i = at % (text.length + 1)
          const changed = text.slice(0, i) + character + text.slice(i)
          return {
            path: leaf.path,
            describe: `${leaf.path.join('.')}: ${JSON.stringify(changed)}`,
            apply: (r) => setAt(r, leaf.path, changed) as Record<string, unknown>,
          }
        }),
    )
  }
  if (numbers.length > 0) {
    options.push(
      fc
        .tuple(fc.constantFrom(...numbers), fc.constantFrom(...hostileNumbers), fc.boolean())
        .map(([leaf, text, asString]) => ({
          path: leaf.path,
          describe: `${leaf.path.join('.')}: ${asString ? JSON.stringify(text) : text}`,
          apply: (r) => setAt(r, leaf.path, asString ? text : new RawNumber(text)) as Record<string, unknown>,
        })),
    )
  }
  const dates = strings.filter((l) => isDate(l.value as string) || isInstant(l.value as string))
  if (dates.length > 0) {
    options.push(
      fc.constantFrom(...dates).chain((leaf) =>
        fc.constantFrom(...(isDate(leaf.value as string) ? hostileDates : hostileInstants)).map((value) => ({
          path: leaf.path,
          describe: `${leaf.path.join('.')}: ${value}`,
          apply: (r: Record<string, unknown>) => setAt(r, leaf.path, value) as Record<string, unknown>,
        })),
      ),
    )
  }
  options.push(
    fc
      .tuple(
        fc.constantFrom(...freeFormFields, '(record)'),
        fc.constantFrom(...prototypeKeys),
        fc.constantFrom('x', 1, true, null),
      )
      .map(([field, key, value]) => ({
        path: field === '(record)' ? [key] : [field, key],
        describe: `${field}["${key}"] = ${JSON.stringify(value)}`,
        apply: (r) => {
          // defineProperty: an own property named __proto__, as JSON.parse makes it.
          const withKey = (target: Record<string, unknown>) => {
            const copy = { ...target }
            Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true })
            return copy
          }
          if (field === '(record)') return withKey(r)
          const current = r[field]
          const base = current !== null && typeof current === 'object' ? (current as Record<string, unknown>) : {}
          return { ...r, [field]: withKey(base) }
        },
      })),
  )
  return fc.oneof(...options)
}

function isDecimalString(value: unknown): boolean {
  return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)
}
