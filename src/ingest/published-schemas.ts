import { z } from 'zod'
import { entitySchemas } from './entities/index.ts'

/** JSON Schemas of what integrators send, one per entity type: path under schemas/ -> contents. */
export function ingestSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>()
  for (const [name, schema] of Object.entries(entitySchemas)) {
    const json = {
      ...z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }),
      $id: `https://flex.dev/schemas/ingest/${name}.schema.json`,
      title: name,
    }
    files.set(`ingest/${name}.schema.json`, `${JSON.stringify(json, null, 2)}\n`)
  }
  return files
}
