import { type Compilable, type Kysely, type RawBuilder, sql } from 'kysely'
import type { z } from 'zod'
import type { DayWindow } from '../calendar/day-window.ts'
import type { Database } from '../db/database.ts'

/**
 * One export file type: its name (folder and file name), its row schema (whose key order is the
 * column order), the key an analyst upserts on, which rows belong to a day, and the query that
 * selects them for one brand and day window, ordered by the key.
 */
export interface ExportFileDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly name: string
  readonly description: string
  readonly row: z.ZodObject<Shape>
  readonly key: readonly (keyof Shape & string)[]
  /** Which rows belong to day D, in a sentence for the docs. */
  readonly window: string
  query(db: Kysely<Database>, brandId: string, window: DayWindow): Compilable<Record<keyof Shape, unknown>>
}

/** Any export file definition, whatever its row shape: the element type of the registry. */
// biome-ignore lint/suspicious/noExplicitAny: each definition has its own shape; the registry holds all of them
export type AnyExportFile = ExportFileDefinition<any>

/** Identity helper that checks a definition and infers its row shape. */
export function defineExportFile<Shape extends z.ZodRawShape>(
  definition: ExportFileDefinition<Shape>,
): ExportFileDefinition<Shape> {
  return definition
}

/**
 * The day rule most files share: the brand's rows whose updated_at falls in the window
 * (start included, end excluded). `table` qualifies the columns in a join.
 */
export function changedDuring(brandId: string, window: DayWindow, table?: string): RawBuilder<boolean> {
  const column = (name: string) => sql.ref(table === undefined ? name : `${table}.${name}`)
  return sql<boolean>`${column('brand_id')} = ${brandId} and ${column('updated_at')} >= ${window.start} and ${column('updated_at')} < ${window.end}`
}
