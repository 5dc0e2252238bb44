import { z } from 'zod'
import { entitySchemas } from './entities/index.ts'

/** JSON Schemas of what integrators send, one per entity type: path under schemas/ -> contents. */
export function ingestSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>()
  for (const [name, schema] of Object.entries(entitySchemas)) {
    const json = {
      ...z.toJSONSchema(schema, {
        target: 'draft-2020-12',
        io: 'input',
        unrepresentable: 'any',
        override: requiredAsParsed,
      }),
      $id: `https://flex.dev/schemas/ingest/${name}.schema.json`,
      title: name,
    }
    files.set(`ingest/${name}.schema.json`, `${JSON.stringify(json, null, 2)}\n`)
  }
  return files
}

/**
 * zod (4.4.3 to at least 4.6.7) leaves a property made with z.preprocess out of `required` in an
 * input JSON Schema (colinhacks/zod#5968), though parsing refuses a record without it: the
 * decimals would be published as optional. So an object's required properties are the ones whose
 * schema refuses a missing value, as parsing decides. A `toJSONSchema` override.
 */
export function requiredAsParsed(context: { zodSchema: z.core.$ZodType; jsonSchema: z.core.JSONSchema.BaseSchema }) {
  const def = context.zodSchema._zod.def
  if (def.type !== 'object') return
  const shape = (def as z.core.$ZodObjectDef).shape
  const required = Object.keys(shape).filter((key) => !z.safeParse(shape[key] as z.core.$ZodType, undefined).success)
  if (required.length > 0) context.jsonSchema.required = required
  else delete context.jsonSchema.required
}
