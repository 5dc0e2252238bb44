import fc from 'fast-check'

/** The part of JSON Schema (draft 2020-12) the published ingestion schemas use. */
export interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  pattern?: string
  format?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: JsonSchema | boolean
  propertyNames?: JsonSchema
  maxProperties?: number
}

// Free text without a pattern: the documented rule (docs/ingestion.md) is any Unicode but control
// characters other than tab and line breaks. Generated from printable code points of every plane,
// with tabs, line breaks, combining marks and 4-byte characters among them.
const textCharacter = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('\t', '\n', '\r\n', ' ', '"', '\\', ',', 'é', '日本', '😀', '𝄞', 'ﬃ') },
)
// biome-ignore lint/suspicious/noControlCharactersInRegex: the documented rule is about control characters
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/

const inRange = (n: number, min: number, max: number) => n >= min && n <= max

function freeText(minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc
    .array(textCharacter, { minLength, maxLength: Math.min(maxLength, 40) })
    .map((parts) => parts.join(''))
    .filter((s) => inRange([...s].length, minLength, maxLength) && !controlCharacter.test(s) && s.isWellFormed())
}

/**
 * Values valid under a JSON Schema, as a client that reads only the published schema would send them.
 * Collections are kept small: the point is variety of values, not volume.
 */
export function arbitraryFromSchema(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives) return fc.oneof(...alternatives.map(arbitraryFromSchema))
  const types = Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type]
  if (types.length > 1) return fc.oneof(...types.map((type) => arbitraryFromSchema({ ...schema, type })))
  switch (types[0]) {
    case 'string':
      return stringFromSchema(schema)
    case 'number':
    case 'integer':
      return numberFromSchema(schema, types[0] === 'integer')
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(arbitraryFromSchema(schema.items ?? {}), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 3, 3),
      })
    case 'object':
      return objectFromSchema(schema)
    default:
      throw new Error(`the generator does not know the schema ${JSON.stringify(schema).slice(0, 200)}`)
  }
}

function stringFromSchema(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0
  const max = schema.maxLength ?? 200
  // JSON Schema counts characters (code points), not UTF-16 units.
  const inLength = (s: string) => inRange([...s].length, min, max)
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter(inLength)
  if (schema.format === 'email') return fc.emailAddress().filter(inLength)
  return freeText(min, max)
}

function numberFromSchema(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? (schema.exclusiveMinimum === undefined ? -1e12 : schema.exclusiveMinimum + 1e-4)
  const max = schema.maximum ?? (schema.exclusiveMaximum === undefined ? 1e12 : schema.exclusiveMaximum - 1e-4)
  if (integer) return fc.integer({ min: Math.ceil(Math.max(min, -(2 ** 53))), max: Math.floor(Math.min(max, 2 ** 53)) })
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
}

function objectFromSchema(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {}
  const names = Object.keys(properties)
  if (names.length > 0) {
    const model = Object.fromEntries(names.map((name) => [name, arbitraryFromSchema(properties[name] ?? {})]))
    return fc.record(model, { requiredKeys: (schema.required ?? []).filter((n) => names.includes(n)) })
  }
  const values = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined
  if (!values) return fc.constant({})
  return fc.dictionary(
    arbitraryFromSchema(schema.propertyNames ?? { type: 'string', maxLength: 64 }) as fc.Arbitrary<string>,
    arbitraryFromSchema(values),
    {
      maxKeys: Math.min(schema.maxProperties ?? 4, 4),
      noNullPrototype: true,
    },
  )
}
