import type { Insertable } from 'kysely'
import type { CampaignSkusTable, CampaignsTable, Channel, LinksTable, ProductsTable } from '../db/database.ts'
import { type BrandContext, money } from './brand-profiles.ts'
import { dayMs, earlierThan, hourMs, laterThan, minuteMs } from './demo-calendar.ts'

// When a brand's campaigns are created, launched and finished, with their tracked links, and
// the campaign, campaign SKU and link rows that follow from that plan.

export interface CampaignPlan {
  id: string
  name: string
  channel: Channel
  status: 'draft' | 'scheduled' | 'running' | 'completed' | 'cancelled'
  subject: string | null
  createdAt: Date
  scheduledAt: Date | null
  startedAt: Date | null
  /** When the last message goes out; may be after the cutoff (the campaign is still running). */
  sendUntil: Date | null
  /** Last change to the campaign row itself. */
  updatedAt: Date
  audienceShare: number
  budgetMinor: number
  links: LinkPlan[]
}

export interface LinkPlan {
  id: string
  url: string
  /** Relative share of the campaign's clicks. */
  weight: number
  createdAt: Date
}

/**
 * The campaigns of the last 30 days, oldest first. Besides randomly placed ones, the most recent
 * local days always get a launch, a draft and a scheduled campaign, so every day an export may
 * look at as "yesterday" has new campaign, SKU and message rows.
 */
export function planCampaigns(ctx: BrandContext): CampaignPlan[] {
  const { rng, calendar } = ctx
  const recent = calendar.recentDays()
  const sending = rng.int(9, 14)
  // One launch a few days back as well, so yesterday also carries late opens, clicks and link stats.
  const launchDays = [
    ...recent,
    rng.int(-5, -2),
    ...Array.from({ length: sending - recent.length - 1 }, () => rng.int(-29, -2)),
  ]
  const drafts = recent.map((day) => draftTimes(ctx, day, 'draft'))
  const scheduled = recent.map((day) => draftTimes(ctx, day, 'scheduled'))
  const cancelled = draftTimes(ctx, rng.int(-26, -12), 'cancelled')
  const unnamed = [...launchDays.map((day) => launchTimes(ctx, day)), ...drafts, ...scheduled, cancelled].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime(),
  )
  const names = rng.shuffle(ctx.profile.campaignNames)
  const subjects = rng.shuffle(ctx.profile.subjects)
  let linkNumber = 0
  return unnamed.map((times, i) => {
    const id = `CMP-${String(i + 1).padStart(4, '0')}`
    const channel = rng.pick<Channel>(['email', 'email', 'email', 'email', 'sms', 'sms', 'push'])
    // SMS and push go out in one short burst; an email send is throttled over hours.
    const sendHours =
      channel === 'email' ? rng.between(1, 30) : channel === 'sms' ? rng.between(0.5, 3) : rng.between(0.2, 1)
    const timing =
      times.startedAt === null
        ? times
        : { ...times, ...sendingStatus(ctx, times.startedAt, times.createdAt, sendHours) }
    const plan: CampaignPlan = {
      ...timing,
      id,
      channel,
      name: names[i % names.length] ?? id,
      subject: channel === 'sms' ? null : (subjects[i % subjects.length] ?? null),
      audienceShare: rng.between(0.3, 0.7),
      budgetMinor: rng.int(200, 5000) * (ctx.profile.minorDigits === 2 ? 100 : 150),
      links: [],
    }
    plan.links = Array.from({ length: rng.int(1, 4) }, (_, n) => ({
      id: `LNK-${String(++linkNumber).padStart(5, '0')}`,
      url: linkUrl(ctx, id, n),
      // The first link is the main call to action and draws most clicks.
      weight: n === 0 ? 3 : rng.between(0.3, 1.5),
      createdAt: new Date(plan.createdAt.getTime() + rng.int(1, 60) * minuteMs),
    }))
    return plan
  })
}

type CampaignTimes = Pick<
  CampaignPlan,
  'status' | 'createdAt' | 'scheduledAt' | 'startedAt' | 'sendUntil' | 'updatedAt'
>

/** A campaign that launches in the morning of `day`, set up one to six days before. */
function launchTimes(ctx: BrandContext, day: number): CampaignTimes {
  const { rng, calendar } = ctx
  const startedAt = calendar.at(day, rng.between(8, 11))
  const createdAt = new Date(startedAt.getTime() - rng.between(1, 6) * dayMs)
  // The scheduler picks a campaign up a little after its scheduled time.
  const scheduledAt = new Date(startedAt.getTime() - rng.int(0, 180) * 1000)
  return { status: 'running', createdAt, scheduledAt, startedAt, sendUntil: null, updatedAt: startedAt }
}

/** Where a launched campaign stands at the cutoff, given how long its send takes. */
function sendingStatus(
  ctx: BrandContext,
  startedAt: Date,
  createdAt: Date,
  sendHours: number,
): Pick<CampaignPlan, 'status' | 'sendUntil' | 'updatedAt'> {
  const { rng, calendar } = ctx
  const sendUntil = new Date(startedAt.getTime() + sendHours * hourMs)
  if (sendUntil >= calendar.cutoff) return { status: 'running', sendUntil, updatedAt: startedAt }
  // Some campaigns get their final spend booked a few days after they end.
  const booked = new Date(sendUntil.getTime() + rng.between(1, 3) * dayMs)
  const updatedAt = rng.chance(0.5) && booked < calendar.cutoff ? booked : sendUntil
  return { status: 'completed', sendUntil, updatedAt: laterThan(createdAt, updatedAt) }
}

/** A campaign that never sent: a draft, one scheduled for the coming days, or one cancelled before it started. */
function draftTimes(ctx: BrandContext, day: number, status: 'draft' | 'scheduled' | 'cancelled'): CampaignTimes {
  const { rng, calendar } = ctx
  const createdAt = calendar.at(day, rng.between(9, 17))
  const edited = new Date(createdAt.getTime() + rng.between(0, 3) * hourMs)
  const updatedAt = edited < calendar.cutoff ? edited : createdAt
  const times = { createdAt, startedAt: null, sendUntil: null, updatedAt }
  if (status === 'draft') return { ...times, status, scheduledAt: null }
  if (status === 'scheduled') {
    const scheduledAt = calendar.at(calendar.lastFullDay() + rng.int(2, 4), rng.between(8, 11))
    return { ...times, status, scheduledAt }
  }
  const scheduledAt = calendar.at(day + rng.int(3, 5), 9)
  return { ...times, status, scheduledAt, updatedAt: new Date(createdAt.getTime() + rng.between(3, 36) * hourMs) }
}

function linkUrl(ctx: BrandContext, campaignId: string, n: number): string {
  const { rng, profile } = ctx
  const skus = Array.from({ length: rng.int(1, 3) }, () => `SKU-${rng.int(10_001, 10_200)}`).join(',')
  const target = n === 0 ? '' : `/${rng.pick(['neu', 'sale', 'app', 'stores', 'recipes'])}`
  // Commas in the query string are legal in URLs and a good CSV test.
  return `${profile.shopUrl}${target}?utm_source=flex&utm_campaign=${campaignId.toLowerCase()}&utm_content=link${n + 1}&skus=${skus}`
}

export function campaignRow(ctx: BrandContext, plan: CampaignPlan): Insertable<CampaignsTable> {
  const { profile, calendar } = ctx
  const endedAt = plan.status === 'completed' ? plan.sendUntil : null
  return {
    brand_id: profile.id,
    id: plan.id,
    name: plan.name,
    channel: plan.channel,
    status: plan.status,
    subject: plan.subject,
    scheduled_at: plan.scheduledAt,
    started_at: plan.startedAt,
    ended_at: endedAt,
    budget: money(profile, plan.budgetMinor),
    currency: profile.currency,
    created_at: plan.createdAt,
    updated_at: earlierThan(calendar.cutoff, plan.updatedAt),
  }
}

export function campaignSkuRows(
  ctx: BrandContext,
  plan: CampaignPlan,
  products: Insertable<ProductsTable>[],
): Insertable<CampaignSkusTable>[] {
  const { rng, profile, calendar } = ctx
  return rng.sample(products, rng.int(2, 8)).map((product, i) => {
    const role = i === 0 ? 'featured' : rng.chance(0.45) ? 'discounted' : rng.chance(0.3) ? 'featured' : 'recommended'
    const createdAt = earlierThan(calendar.cutoff, new Date(plan.createdAt.getTime() + rng.int(1, 90) * minuteMs))
    let updatedAt = createdAt
    if (role === 'discounted' && plan.startedAt !== null && rng.chance(0.5)) {
      // Discounts get a last-minute revision shortly before the campaign launches.
      updatedAt = laterThan(createdAt, new Date(plan.startedAt.getTime() - rng.int(5, 180) * minuteMs))
    }
    return {
      brand_id: profile.id,
      campaign_id: plan.id,
      sku: product.id,
      role,
      discount_percent: role === 'discounted' ? rng.pick(['10.00', '15.00', '20.00', '25.00', '30.00', '12.50']) : null,
      created_at: createdAt,
      updated_at: updatedAt,
    }
  })
}

export function linkRow(ctx: BrandContext, plan: CampaignPlan, link: LinkPlan): Insertable<LinksTable> {
  const createdAt = earlierThan(ctx.calendar.cutoff, link.createdAt)
  return {
    brand_id: ctx.profile.id,
    id: link.id,
    campaign_id: plan.id,
    url: link.url,
    created_at: createdAt,
    updated_at: createdAt,
  }
}
