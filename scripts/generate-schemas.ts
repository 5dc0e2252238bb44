// Regenerates schemas/ from the zod definitions: npm run schemas
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { publishedSchemaFiles } from '../src/exports/published-schemas.ts'
import { openApiDocument } from '../src/http/openapi.ts'
import { ingestSchemaFiles } from '../src/ingest/published-schemas.ts'
import { webhookSchemaFiles } from '../src/webhooks/published-schemas.ts'

const root = fileURLToPath(new URL('../schemas/', import.meta.url))
const openApi: [string, string] = ['openapi.json', `${JSON.stringify(openApiDocument(), null, 2)}\n`]
for (const [relative, contents] of [
  ...publishedSchemaFiles(),
  ...ingestSchemaFiles(),
  ...webhookSchemaFiles(),
  openApi,
]) {
  const target = path.join(root, relative)
  await mkdir(path.dirname(target), { recursive: true })
  await writeFile(target, contents)
  console.log(`wrote schemas/${relative}`)
}
