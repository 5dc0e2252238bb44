import { getBrand, listBrands } from '../brands/brand-repository.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import type { Brand } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { Destination } from '../storage/destination.ts'
import { brandDays } from './brand-day.ts'
import { type ExportDayResult, exportDay } from './export-day.ts'
import { brandsForShard, type Shard } from './shard.ts'

export interface ExportBrandsOptions {
  database: DatabaseHandle
  destination: Destination
  /** One brand, or every brand when undefined. */
  brandId?: string | undefined
  /** The day to export; undefined: yesterday in each brand's own timezone. */
  date?: string | undefined
  gzip?: boolean
  chunkRows?: number
  /** Export only this task's share of the brands (Cloud Run Jobs with several tasks). */
  shard?: Shard | undefined
  log: Logger
  /**
   * The instant that decides each brand's default day (yesterday as of then); read it once when
   * the command starts. Default: one reading of `now` when the run starts.
   */
  startedAt?: Date | undefined
  /** The clock for run timestamps. */
  now?: () => Date
}

export interface BrandFailure {
  brand: string
  date: string
  error: Error
}

export interface ExportBrandsResult {
  days: ExportDayResult[]
  failures: BrandFailure[]
}

/**
 * Exports a day for one or every brand. A failing brand does not stop the others; its day is left
 * without a manifest and reported in `failures`.
 */
export async function exportBrands(options: ExportBrandsOptions): Promise<ExportBrandsResult> {
  const { database, destination, log } = options
  const startedAt = options.startedAt ?? (options.now ?? (() => new Date()))()
  const brands: Brand[] =
    options.brandId === undefined ? await listBrands(database.db) : [await getBrand(database.db, options.brandId)]
  if (brands.length === 0) {
    throw new FlexError(
      'BRAND_NOT_FOUND',
      'there are no brands to export; add one with: flex brands add ID --timezone TZ',
    )
  }
  const days = brandDays(brands, options.date, startedAt)
  const mine = options.shard === undefined ? days : await brandsForShard(database.db, days, options.shard)
  if (options.shard !== undefined) {
    log.info(
      { shard: `${options.shard.index}/${options.shard.count}`, brands: mine.map((d) => d.brand.id) },
      'shard assigned',
    )
  }
  await destination.checkWritable()
  const results: ExportDayResult[] = []
  const failures: BrandFailure[] = []
  for (const { brand, date } of mine) {
    try {
      results.push(
        await exportDay({
          database,
          destination,
          brand,
          date,
          gzip: options.gzip ?? false,
          log,
          ...(options.chunkRows === undefined ? {} : { chunkRows: options.chunkRows }),
          ...(options.now === undefined ? {} : { now: options.now }),
        }),
      )
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error))
      log.error({ brand: brand.id, date, err }, err.message)
      failures.push({ brand: brand.id, date, error: err })
    }
  }
  return { days: results, failures }
}
