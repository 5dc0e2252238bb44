import type { Kysely } from 'kysely'
import { dayWindow } from '../calendar/day-window.ts'
import type { Brand, Database } from '../db/database.ts'
import { FlexError } from '../errors.ts'
import type { BrandDay } from './brand-day.ts'

/** Task `index` (0-based) of `count` tasks, as Cloud Run Jobs number them. */
export interface Shard {
  readonly index: number
  readonly count: number
}

export function parseShard(value: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value)
  const index = Number(match?.[1])
  const count = Number(match?.[2])
  if (!match || count < 1 || index >= count) {
    throw new FlexError('USAGE', `--shard must be INDEX/COUNT with 0 <= INDEX < COUNT (e.g. 0/4), got "${value}"`)
  }
  return { index, count }
}

/**
 * The brand-days this task exports. A brand-day is the unit: one task writes all its files and its
 * manifest. Brand-days are dealt out largest first to the least-loaded task, by the day's
 * campaign_customers rows (the file that dominates every export), so every task computes the same
 * split from data that no longer changes once the day is over.
 */
export async function brandsForShard(db: Kysely<Database>, days: BrandDay[], shard: Shard): Promise<BrandDay[]> {
  if (shard.count === 1) return days
  const sized = []
  for (const day of days) {
    const window = dayWindow(day.date, day.brand.timezone)
    const { rows } = await db
      .selectFrom('campaign_messages')
      .select((eb) => eb.fn.countAll<string>().as('rows'))
      .where('brand_id', '=', day.brand.id)
      .where('updated_at', '>=', window.start)
      .where('updated_at', '<', window.end)
      .executeTakeFirstOrThrow()
    sized.push({ ...day, rows: Number(rows) })
  }
  return (dealOut(sized, shard.count)[shard.index] ?? []).map(({ brand, date }) => ({ brand, date }))
}

/** Largest first, each to the task with the fewest rows so far (ties: lowest task, then brand id). */
export function dealOut<T extends { brand: Brand; rows: number }>(items: T[], count: number): T[][] {
  const tasks = Array.from({ length: count }, () => ({ rows: 0, items: [] as T[] }))
  const ordered = [...items].sort((a, b) => b.rows - a.rows || a.brand.id.localeCompare(b.brand.id))
  for (const item of ordered) {
    const lightest = tasks.reduce((best, task) => (task.rows < best.rows ? task : best))
    lightest.rows += item.rows + 1
    lightest.items.push(item)
  }
  return tasks.map((t) => t.items)
}
