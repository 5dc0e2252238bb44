import { z } from 'zod'

// Column types of the export files. Each helper returns a zod schema that carries its CSV kind in
// its metadata; the kind decides how a value is read from PostgreSQL's text output, written to
// CSV, and typed in the published JSON Schema and BigQuery schema.

export type ColumnKind = 'string' | 'integer' | 'decimal' | 'boolean' | 'timestamp' | 'date'

export const bigQueryTypes: Record<ColumnKind, string> = {
  string: 'STRING',
  integer: 'INT64',
  decimal: 'NUMERIC',
  boolean: 'BOOL',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
}

// ISO 8601 in UTC with Z, up to microseconds. Cheaper than z.iso.datetime(), whose calendar
// checks (leap days) cost a quarter of the export's validation time; PostgreSQL only produces real
// calendar dates, so the shape is what can go wrong (infinity, BC years, a non-UTC session).
const instantPattern =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?Z$/

// Up to 29 integer digits and 9 fraction digits: what BigQuery's NUMERIC holds exactly.
const decimalPattern = /^-?\d{1,29}(\.\d{1,9})?$/

function kind<T extends z.ZodType>(schema: T, csvKind: ColumnKind, description: string): T {
  return schema.meta({ description, 'x-csv-kind': csvKind })
}

export const column = {
  /** An external id as the brand sent it. */
  id: (description: string) => kind(z.string().min(1).max(255), 'string', description),
  string: (description: string) => kind(z.string(), 'string', description),
  enum: <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
    kind(z.enum(values), 'string', description),
  /** ISO 4217 currency code. */
  currency: (description: string) => kind(z.string().regex(/^[A-Z]{3}$/), 'string', description),
  integer: (description: string) => kind(z.int().min(0), 'integer', description),
  /** An exact decimal, written as PostgreSQL's numeric text (never through a float). */
  decimal: (description: string) => kind(z.string().regex(decimalPattern), 'decimal', description),
  boolean: (description: string) => kind(z.boolean(), 'boolean', description),
  /** An instant, written as ISO 8601 in UTC with `Z`. */
  timestamp: (description: string) =>
    kind(z.string().regex(instantPattern).meta({ format: 'date-time' }), 'timestamp', description),
  /** A calendar date, YYYY-MM-DD. */
  date: (description: string) => kind(z.iso.date(), 'date', description),
}

export interface ColumnInfo {
  readonly name: string
  readonly kind: ColumnKind
  readonly nullable: boolean
  readonly description: string
}

/** The columns of a row schema in file order, with their kinds. */
export function describeColumns(row: z.ZodObject): ColumnInfo[] {
  return Object.entries(row.shape).map(([name, schema]) => {
    const nullable = schema instanceof z.ZodNullable
    const inner = (nullable ? (schema as z.ZodNullable).unwrap() : schema) as z.ZodType
    const meta = inner.meta() as { 'x-csv-kind'?: ColumnKind; description?: string } | undefined
    if (!meta?.['x-csv-kind']) {
      throw new Error(`column ${name} was not built with a column helper (src/exports/columns.ts)`)
    }
    return { name, kind: meta['x-csv-kind'], nullable, description: meta.description ?? '' }
  })
}
