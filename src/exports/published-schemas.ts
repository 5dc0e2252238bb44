import { z } from 'zod'
import { bigQueryTypes, describeColumns } from './columns.ts'
import type { AnyExportFile } from './export-file.ts'
import { exportFiles, exportSchemaVersion } from './files/index.ts'

// The schemas published in schemas/exports/, generated from the zod row definitions so they
// cannot drift from what the export writes (test/exports/published-schemas.test.ts).

export interface BigQueryField {
  name: string
  type: string
  mode: 'NULLABLE' | 'REQUIRED'
  description: string
}

export function bigQuerySchema(file: AnyExportFile): BigQueryField[] {
  return describeColumns(file.row).map((c) => ({
    name: c.name,
    type: bigQueryTypes[c.kind],
    mode: c.nullable ? 'NULLABLE' : 'REQUIRED',
    description: c.description,
  }))
}

export function jsonSchema(file: AnyExportFile): Record<string, unknown> {
  return {
    ...z.toJSONSchema(file.row, { target: 'draft-2020-12' }),
    $id: `https://flex.dev/schemas/exports/v${exportSchemaVersion}/${file.name}.schema.json`,
    title: file.name,
    description: `${file.description} Key: ${file.key.join(', ')}. A row belongs to day D for ${file.window}.`,
  }
}

/** Every published file: path under schemas/ -> contents. */
export function publishedSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>()
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`
  for (const file of exportFiles) {
    files.set(`exports/${file.name}.schema.json`, json(jsonSchema(file)))
    files.set(`exports/${file.name}.bigquery.json`, json(bigQuerySchema(file)))
  }
  return files
}
