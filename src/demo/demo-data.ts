import type { Insertable, Kysely } from 'kysely'
import { isValidDate } from '../calendar/calendar-date.ts'
import type { CampaignMessagesTable, Database } from '../db/database.ts'
import { type BrandContext, type BrandProfile, brandProfiles } from './brand-profiles.ts'
import {
  addBackgroundOptOuts,
  addImportedOptOuts,
  ClickCounter,
  linkStatRows,
  OptOutLedger,
  sendCampaign,
  withdrawConsents,
} from './campaign-activity.ts'
import { campaignRow, campaignSkuRows, linkRow, planCampaigns } from './campaign-plans.ts'
import { buildCustomers, buildProducts, buildStores } from './customers-products-stores.ts'
import { Calendar } from './demo-calendar.ts'
import { hashSeed, Random } from './random.ts'
import { type BrandData, writeBrandData } from './write-demo-rows.ts'

// Deterministic demo data: three brands in different timezones with customers, products, stores
// and 30 days of campaigns whose messages, opt-outs and link clicks follow from each other.
// Every value comes from a seeded PRNG and `today`, never from the clock, so a re-run writes
// exactly the same rows; upserts that only rewrite changed rows keep it idempotent.

export interface DemoOptions {
  /** YYYY-MM-DD, the UTC date the demo treats as today. */
  today: string
  /** Customers per brand; default 3000. */
  customersPerBrand?: number
  /** PRNG seed; default 42. */
  seed?: number
}

export interface DemoSummary {
  brands: { id: string; timezone: string; customers: number; campaigns: number; messages: number }[]
}

/**
 * Upserts the demo brands and their data, as of the end of the UTC day `options.today`, in one
 * transaction. Rows of other brands, and rows a run with other options left, are not touched.
 */
export async function generateDemoData(db: Kysely<Database>, options: DemoOptions): Promise<DemoSummary> {
  const settings = checkOptions(options)
  const data = brandProfiles.map((profile) => buildBrandData(profile, settings))
  // One transaction: a failed run leaves nothing half-written, and PGlite commits once.
  await db.transaction().execute(async (trx) => {
    for (const brand of data) await writeBrandData(trx, brand)
  })
  return {
    brands: data.map((d) => ({
      id: d.profile.id,
      timezone: d.profile.timezone,
      customers: d.customers.length,
      campaigns: d.campaigns.length,
      messages: d.messages.length,
    })),
  }
}

interface Settings {
  today: string
  customersPerBrand: number
  seed: number
}

function checkOptions(options: DemoOptions): Settings {
  if (!isValidDate(options.today)) throw new RangeError(`today must be a calendar date (YYYY-MM-DD): ${options.today}`)
  const customersPerBrand = options.customersPerBrand ?? 3000
  if (!Number.isInteger(customersPerBrand) || customersPerBrand < 0 || customersPerBrand > 999_999) {
    throw new RangeError(`customersPerBrand must be an integer from 0 to 999999: ${customersPerBrand}`)
  }
  const seed = options.seed ?? 42
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer: ${seed}`)
  return { today: options.today, customersPerBrand, seed }
}

// ---------------------------------------------------------------------------------------------
// Building one brand's rows in memory.

function buildBrandData(profile: BrandProfile, settings: Settings): BrandData {
  // A PRNG per brand: one brand's data does not shift when another's generator changes.
  const ctx: BrandContext = {
    profile,
    rng: new Random(hashSeed(`${settings.seed}:${profile.id}`)),
    calendar: new Calendar(settings.today, profile.timezone),
  }
  const customers = buildCustomers(ctx, settings.customersPerBrand)
  const products = buildProducts(ctx, 200)
  const { groups, outlets } = buildStores(ctx)
  const plans = planCampaigns(ctx)
  const optOuts = new OptOutLedger()
  addBackgroundOptOuts(ctx, customers, optOuts)
  const messages: Insertable<CampaignMessagesTable>[] = []
  const clicks = new ClickCounter()
  for (const plan of plans) {
    if (plan.startedAt !== null) sendCampaign(ctx, plan, customers, optOuts, messages, clicks)
  }
  addImportedOptOuts(ctx, customers, optOuts)
  withdrawConsents(customers, optOuts)
  return {
    profile,
    customers: customers.map((c) => c.row),
    products,
    groups,
    outlets,
    campaigns: plans.map((plan) => campaignRow(ctx, plan)),
    campaignSkus: plans.flatMap((plan) => campaignSkuRows(ctx, plan, products)),
    links: plans.flatMap((plan) => plan.links.map((link) => linkRow(ctx, plan, link))),
    messages,
    optOuts: optOuts.rows(profile.id),
    linkStats: plans.flatMap((plan) => linkStatRows(ctx, plan, clicks)),
  }
}
