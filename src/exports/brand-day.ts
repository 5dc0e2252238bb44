import { yesterday } from '../calendar/time-zone.ts'
import type { Brand } from '../db/database.ts'

/** A brand and the local calendar day a run exports for it. */
export interface BrandDay {
  readonly brand: Brand
  /** YYYY-MM-DD in the brand's timezone. */
  readonly date: string
}

/**
 * The day each brand's run exports: `date` when given, else yesterday in the brand's timezone as
 * of `startedAt`. Decided once per run from one clock reading, so a run that starts just before a
 * brand's midnight and ends after it sizes its shards and exports its files for the same day.
 */
export function brandDays(brands: readonly Brand[], date: string | undefined, startedAt: Date): BrandDay[] {
  return brands.map((brand) => ({ brand, date: date ?? yesterday(brand.timezone, startedAt) }))
}
