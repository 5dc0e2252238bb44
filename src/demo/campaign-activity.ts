import type { Insertable } from 'kysely'
import type {
  CampaignMessagesTable,
  Channel,
  LinkDailyStatsTable,
  MessageStatus,
  OptOutsTable,
} from '../db/database.ts'
import { type BrandContext, money } from './brand-profiles.ts'
import type { CampaignPlan } from './campaign-plans.ts'
import type { Customer } from './customers-products-stores.ts'
import { dayMs, hourMs, laterThan, minuteMs } from './demo-calendar.ts'

// What happens once campaigns launch: each message's fate up to the cutoff, the opt-outs that
// campaigns and other sources cause, and the daily click statistics of the tracked links.

// --- messages -----------------------------------------------------------------------------------

interface ChannelBehaviour {
  failed: number
  bounced: number
  /** Share of delivered messages opened; null where the channel cannot report opens (SMS). */
  opened: number | null
  /** Share of opened (or, without open tracking, delivered) messages clicked. */
  clicked: number
  converted: number
  /** Median delays of each step after the previous one, in ms. */
  deliverDelay: number
  openDelay: number
  clickDelay: number
  convertDelay: number
  /** Probability that a delivered message ends in an opt-out, and how it arrives. */
  optOut: { chance: number; source: OptOutSource; channels: readonly (Channel | 'all')[] }
}

type OptOutSource = Insertable<OptOutsTable>['source']

const channelBehaviour: Record<Channel, ChannelBehaviour> = {
  email: {
    failed: 0.005,
    bounced: 0.025,
    opened: 0.38,
    clicked: 0.22,
    converted: 0.18,
    deliverDelay: 20_000,
    openDelay: 2 * hourMs,
    clickDelay: 2 * minuteMs,
    convertDelay: 3 * hourMs,
    optOut: { chance: 0.003, source: 'unsubscribe_link', channels: ['email', 'email', 'email', 'all'] },
  },
  sms: {
    failed: 0.01,
    bounced: 0.02,
    opened: null,
    clicked: 0.09,
    converted: 0.15,
    deliverDelay: 5_000,
    openDelay: 0,
    clickDelay: 20 * minuteMs,
    convertDelay: 2 * hourMs,
    optOut: { chance: 0.008, source: 'sms_stop', channels: ['sms'] },
  },
  push: {
    failed: 0.02,
    bounced: 0.03,
    opened: 0.12,
    clicked: 0.5,
    converted: 0.12,
    deliverDelay: 2_000,
    openDelay: 40 * minuteMs,
    clickDelay: 15_000,
    convertDelay: hourMs,
    optOut: { chance: 0.002, source: 'preference_center', channels: ['push'] },
  },
}

interface Timeline {
  status: MessageStatus
  sentAt: Date | null
  deliveredAt: Date | null
  openedAt: Date | null
  clickedAt: Date | null
  convertedAt: Date | null
  /** The latest event, which is the row's updated_at. */
  lastAt: Date
}

export function sendCampaign(
  ctx: BrandContext,
  plan: CampaignPlan,
  customers: readonly Customer[],
  optOuts: OptOutLedger,
  messages: Insertable<CampaignMessagesTable>[],
  clicks: ClickCounter,
): void {
  const { rng, profile } = ctx
  const startedAt = plan.startedAt
  const sendUntil = plan.sendUntil
  if (startedAt === null || sendUntil === null) return
  const eligible = customers.filter(
    (c) =>
      c.reachable[plan.channel] &&
      !(c.deletedAt !== null && c.deletedAt <= startedAt) &&
      !optOuts.blocks(c.id, plan.channel, startedAt),
  )
  const audience = rng.sample(eligible, Math.round(eligible.length * plan.audienceShare))
  const sendMs = sendUntil.getTime() - startedAt.getTime()
  audience.forEach((customer, i) => {
    const plannedSend = new Date(startedAt.getTime() + Math.floor(((i + rng.next()) / audience.length) * sendMs))
    const timeline = simulateMessage(ctx, plan.channel, startedAt, plannedSend)
    const converted = timeline.convertedAt !== null
    messages.push({
      brand_id: profile.id,
      campaign_id: plan.id,
      customer_id: customer.id,
      channel: plan.channel,
      status: timeline.status,
      sent_at: timeline.sentAt,
      delivered_at: timeline.deliveredAt,
      opened_at: timeline.openedAt,
      clicked_at: timeline.clickedAt,
      converted_at: timeline.convertedAt,
      attributed_revenue: converted ? money(profile, rng.int(profile.basket[0], profile.basket[1])) : null,
      currency: converted ? profile.currency : null,
      // The whole audience is queued when the campaign starts.
      created_at: startedAt,
      updated_at: timeline.lastAt,
    })
    if (timeline.clickedAt !== null) clicks.add(ctx, rng.weighted(plan.links).id, timeline.clickedAt)
    if (timeline.deliveredAt !== null) maybeOptOut(ctx, plan, customer, timeline, optOuts)
  })
}

/**
 * How far one message got by the cutoff. Each step happens a random delay after the previous
 * one; a step that would fall after the cutoff has not happened yet, so the message stops there.
 */
function simulateMessage(ctx: BrandContext, channel: Channel, queuedAt: Date, plannedSend: Date): Timeline {
  const { rng, calendar } = ctx
  const behaviour = channelBehaviour[channel]
  const cutoff = calendar.cutoff.getTime()
  const timeline: Timeline = {
    status: 'queued',
    sentAt: null,
    deliveredAt: null,
    openedAt: null,
    clickedAt: null,
    convertedAt: null,
    lastAt: queuedAt,
  }
  let last = plannedSend.getTime()
  const step = (status: MessageStatus, delayMs: number): Date | null => {
    const at = last + Math.round(delayMs)
    if (at >= cutoff) return null
    last = at
    timeline.status = status
    timeline.lastAt = new Date(at)
    return timeline.lastAt
  }
  const fate = rng.next()
  if (fate < behaviour.failed) {
    step('failed', 0)
    return timeline
  }
  timeline.sentAt = step('sent', 0)
  if (timeline.sentAt === null) return timeline
  if (fate < behaviour.failed + behaviour.bounced) {
    step('bounced', rng.delay(behaviour.deliverDelay * 3, hourMs))
    return timeline
  }
  timeline.deliveredAt = step('delivered', rng.delay(behaviour.deliverDelay, hourMs))
  if (timeline.deliveredAt === null) return timeline
  if (behaviour.opened !== null) {
    if (!rng.chance(behaviour.opened)) return timeline
    timeline.openedAt = step('opened', rng.delay(behaviour.openDelay, 6 * dayMs))
    if (timeline.openedAt === null) return timeline
  }
  if (!rng.chance(behaviour.clicked)) return timeline
  timeline.clickedAt = step('clicked', rng.delay(behaviour.clickDelay, dayMs))
  if (timeline.clickedAt === null || !rng.chance(behaviour.converted)) return timeline
  timeline.convertedAt = step('converted', rng.delay(behaviour.convertDelay, 3 * dayMs))
  return timeline
}

// --- opt-outs -----------------------------------------------------------------------------------

interface OptOut {
  customerId: string
  channel: Channel | 'all'
  optedOutAt: Date
  source: OptOutSource
  campaignId: string | null
  /** When the opt-out reached us; later than optedOutAt for imports of paper forms. */
  recordedAt: Date
}

/** All opt-outs of a brand, so campaigns skip customers who left before they start. */
export class OptOutLedger {
  readonly #byCustomer = new Map<string, OptOut[]>()

  /** Records an opt-out unless the customer already left that channel. */
  add(optOut: OptOut): boolean {
    const existing = this.#byCustomer.get(optOut.customerId) ?? []
    if (existing.some((o) => o.channel === 'all' || o.channel === optOut.channel)) return false
    existing.push(optOut)
    this.#byCustomer.set(optOut.customerId, existing)
    return true
  }

  blocks(customerId: string, channel: Channel, at: Date): boolean {
    const existing = this.#byCustomer.get(customerId) ?? []
    return existing.some((o) => (o.channel === 'all' || o.channel === channel) && o.optedOutAt < at)
  }

  all(): OptOut[] {
    return [...this.#byCustomer.values()].flat()
  }

  /** Rows with ids in the order the opt-outs were recorded, as a source system would number them. */
  rows(brandId: string): Insertable<OptOutsTable>[] {
    const ordered = this.all().sort(
      (a, b) => a.recordedAt.getTime() - b.recordedAt.getTime() || compareText(a.customerId, b.customerId),
    )
    return ordered.map((o, i) => ({
      brand_id: brandId,
      id: `OPT-${String(i + 1).padStart(6, '0')}`,
      customer_id: o.customerId,
      channel: o.channel,
      opted_out_at: o.optedOutAt,
      source: o.source,
      campaign_id: o.campaignId,
      created_at: o.recordedAt,
      updated_at: o.recordedAt,
    }))
  }
}

function maybeOptOut(
  ctx: BrandContext,
  plan: CampaignPlan,
  customer: Customer,
  timeline: Timeline,
  ledger: OptOutLedger,
): void {
  const { rng, calendar } = ctx
  const how = channelBehaviour[plan.channel].optOut
  if (!rng.chance(how.chance)) return
  const after = (timeline.openedAt ?? timeline.deliveredAt ?? timeline.lastAt).getTime()
  const optedOutAt = new Date(after + rng.delay(30 * minuteMs, 3 * dayMs))
  const recordedAt = new Date(optedOutAt.getTime() + rng.int(1, 120) * 1000)
  if (recordedAt >= calendar.cutoff) return
  ledger.add({
    customerId: customer.id,
    channel: rng.pick(how.channels),
    optedOutAt,
    source: how.source,
    campaignId: plan.id,
    recordedAt,
  })
}

/** Opt-outs that have nothing to do with a campaign: preference center visits and support calls. */
export function addBackgroundOptOuts(ctx: BrandContext, customers: readonly Customer[], ledger: OptOutLedger): void {
  const { rng, calendar } = ctx
  for (const customer of rng.sample(customers, Math.round(customers.length * 0.008))) {
    const optedOutAt = calendar.recentInstant(rng)
    const viaSupport = rng.chance(0.3)
    // recentInstant is at least 86 s before the cutoff, so a record a minute later still precedes it.
    const recordedAt = new Date(optedOutAt.getTime() + rng.int(1, 60) * 1000)
    ledger.add({
      customerId: customer.id,
      channel: viaSupport ? 'all' : rng.pick(['email', 'sms', 'push', 'all']),
      optedOutAt,
      source: viaSupport ? 'support' : 'preference_center',
      campaignId: null,
      recordedAt,
    })
  }
}

/**
 * Paper opt-out forms collected in stores, imported in one batch on each recent day: they arrive
 * days after the customer opted out, which is the case the exports' updated_at window exists for.
 */
export function addImportedOptOuts(ctx: BrandContext, customers: readonly Customer[], ledger: OptOutLedger): void {
  const { rng, calendar } = ctx
  for (const day of calendar.recentDays()) {
    const importAt = calendar.at(day, rng.between(13, 16)).getTime()
    const batch = rng.sample(customers, Math.max(3, Math.round(customers.length * 0.003)))
    batch.forEach((customer, i) => {
      ledger.add({
        customerId: customer.id,
        channel: rng.pick(['all', 'email']),
        optedOutAt: calendar.at(day - rng.int(2, 20), rng.between(9, 19)),
        source: 'import',
        campaignId: null,
        recordedAt: new Date(importAt + i * 40),
      })
    })
  }
}

/** An opt-out also clears the customer's consent flag, which touches the customer row. */
export function withdrawConsents(customers: readonly Customer[], ledger: OptOutLedger): void {
  const byId = new Map(customers.map((c) => [c.id, c]))
  for (const optOut of ledger.all()) {
    const customer = byId.get(optOut.customerId)
    if (!customer) continue
    if (optOut.channel === 'email' || optOut.channel === 'all') customer.row.email_consent = false
    if (optOut.channel === 'sms' || optOut.channel === 'all') customer.row.sms_consent = false
    customer.row.updated_at = laterThan(customer.row.updated_at, optOut.recordedAt)
  }
}

// --- link statistics ----------------------------------------------------------------------------

interface DayClicks {
  firstClicks: number
  firstAt: number
  lastAt: number
}

/** First clicks per link and local day, taken from the messages' clicked_at. */
export class ClickCounter {
  readonly #byLink = new Map<string, Map<number, DayClicks>>()

  add(ctx: BrandContext, linkId: string, at: Date): void {
    const day = ctx.calendar.dayOf(at)
    const days = this.#byLink.get(linkId) ?? new Map<number, DayClicks>()
    const t = at.getTime()
    const current = days.get(day)
    if (current) {
      current.firstClicks += 1
      current.firstAt = Math.min(current.firstAt, t)
      current.lastAt = Math.max(current.lastAt, t)
    } else {
      days.set(day, { firstClicks: 1, firstAt: t, lastAt: t })
    }
    this.#byLink.set(linkId, days)
  }

  get(linkId: string, day: number): DayClicks | undefined {
    return this.#byLink.get(linkId)?.get(day)
  }
}

/** Tracked links keep counting clicks for two weeks after a send: people come back to old messages. */
const linkTailDays = 14

/**
 * One row per link and local day from launch until two weeks after the last send (or the cutoff),
 * zero-click days included. Unique clicks are the first clicks plus a few returning customers;
 * clicks add repeat clicks on top, so clicks >= unique_clicks always holds.
 */
export function linkStatRows(
  ctx: BrandContext,
  plan: CampaignPlan,
  clicks: ClickCounter,
): Insertable<LinkDailyStatsTable>[] {
  const { rng, calendar, profile } = ctx
  if (plan.startedAt === null || plan.sendUntil === null) return []
  const firstDay = calendar.dayOf(plan.startedAt)
  const lastDay = Math.min(
    calendar.dayOf(plan.sendUntil) + linkTailDays,
    calendar.dayOf(new Date(calendar.cutoff.getTime() - 1)),
  )
  const rows: Insertable<LinkDailyStatsTable>[] = []
  for (const link of plan.links) {
    for (let day = firstDay; day <= lastDay; day++) {
      const counted = clicks.get(link.id, day)
      const first = counted?.firstClicks ?? 0
      const returning = first > 0 ? Math.round(first * rng.between(0, 0.3)) : rng.chance(0.25) ? rng.int(1, 3) : 0
      const unique = first + returning
      const total = unique + Math.round(unique * rng.between(0.05, 0.6))
      const { createdAt, updatedAt } = statTimes(ctx, day, counted, total > 0)
      rows.push({
        brand_id: profile.id,
        link_id: link.id,
        stat_date: calendar.date(day),
        clicks: total,
        unique_clicks: unique,
        created_at: createdAt,
        updated_at: updatedAt,
      })
    }
  }
  return rows
}

/**
 * A day's row is opened with its first click and rewritten through the day; a share of rows get
 * late clicks the next morning, so a stat_date reappears in the following day's export.
 */
function statTimes(ctx: BrandContext, day: number, counted: DayClicks | undefined, hasClicks: boolean) {
  const { rng, calendar } = ctx
  const dayStart = calendar.at(day, 0).getTime()
  const opened = dayStart + Math.round(rng.between(1, 30) * minuteMs)
  const createdAt = new Date(Math.min(opened, counted?.firstAt ?? opened))
  if (!hasClicks) return { createdAt, updatedAt: createdAt }
  const cutoff = calendar.cutoff.getTime()
  const lastClick = Math.max(counted?.lastAt ?? 0, createdAt.getTime())
  const endOfDay = calendar.at(day, rng.between(12, 23)).getTime()
  const late = calendar.at(day + 1, rng.between(0.5, 6)).getTime()
  // The day still in progress at the cutoff has seen only the clicks so far.
  let updatedAt = endOfDay < cutoff ? Math.max(lastClick, endOfDay) : lastClick
  if (rng.chance(0.3) && late < cutoff) updatedAt = late
  return { createdAt, updatedAt: new Date(updatedAt) }
}

/** Code-point order, the same as the database's "C" collation for these ASCII ids. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
