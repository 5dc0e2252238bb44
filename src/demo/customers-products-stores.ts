import type { Insertable } from 'kysely'
import type { Channel, CustomersTable, GroupsTable, OutletsTable, ProductsTable } from '../db/database.ts'
import { awkwardLastNames, type BrandContext, money } from './brand-profiles.ts'
import { dayMs, laterThan } from './demo-calendar.ts'
import type { Random } from './random.ts'

// A brand's customers, products and stores (groups and outlets), the rows campaigns build on.

// --- customers --------------------------------------------------------------------------------

export interface Customer {
  id: string
  row: Insertable<CustomersTable> & { updated_at: Date }
  /** Whether a channel can reach the customer at all (contact data and consent at signup). */
  reachable: Record<Channel, boolean>
  deletedAt: Date | null
}

export function buildCustomers(ctx: BrandContext, count: number): Customer[] {
  return Array.from({ length: count }, (_, i) => buildCustomer(ctx, `C${String(i + 1).padStart(6, '0')}`))
}

function buildCustomer(ctx: BrandContext, id: string): Customer {
  const { rng, calendar, profile } = ctx
  const createdAt = calendar.before(rng.between(1, 1000) * dayMs)
  const updatedAt = laterThan(createdAt, calendar.recentInstant(rng))
  const firstName = rng.chance(0.02) ? null : rng.pick(profile.firstNames)
  const lastName = rng.chance(0.03) ? rng.pick(awkwardLastNames) : rng.pick(profile.lastNames)
  const email = rng.chance(0.92) ? `${emailLocalPart(firstName, id)}@${rng.pick(profile.emailDomains)}` : null
  const phone = rng.chance(0.6) ? profile.phone(rng) : null
  // GDPR erasure: the row stays (messages reference it), the personal data and consents go.
  const deletedAt = rng.chance(0.005) ? updatedAt : null
  const emailConsent = deletedAt === null && email !== null && rng.chance(0.85)
  const smsConsent = deletedAt === null && phone !== null && rng.chance(0.55)
  const hasApp = rng.chance(0.35)
  const row = {
    brand_id: profile.id,
    id,
    email: deletedAt ? null : email,
    phone: deletedAt ? null : phone,
    first_name: deletedAt ? null : firstName,
    last_name: deletedAt ? null : lastName,
    birth_date: rng.chance(0.8) ? birthDate(rng) : null,
    email_consent: emailConsent,
    sms_consent: smsConsent,
    attributes: JSON.stringify({
      loyalty_tier: rng.pick(['bronze', 'bronze', 'silver', 'gold']),
      has_app: hasApp,
      signup_channel: rng.pick(['store', 'web', 'app']),
    }),
    source_updated_at: laterThan(createdAt, new Date(updatedAt.getTime() - rng.int(1, 600) * 1000)),
    deleted_at: deletedAt,
    created_at: createdAt,
    updated_at: updatedAt,
  }
  return { id, row, reachable: { email: emailConsent, sms: smsConsent, push: hasApp }, deletedAt }
}

function emailLocalPart(firstName: string | null, id: string): string {
  // Strip accents so Zoë becomes zoe; scripts without a Latin form fall back to a generic name.
  const ascii = (firstName ?? '')
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase()
  return `${ascii || 'customer'}.${id.toLowerCase()}`
}

function birthDate(rng: Random): string {
  return new Date(Date.UTC(1945, 0, 1) + rng.int(0, 60 * 365) * dayMs).toISOString().slice(0, 10)
}

// --- products, groups, outlets ----------------------------------------------------------------

export function buildProducts(ctx: BrandContext, count: number): Insertable<ProductsTable>[] {
  const { rng, calendar, profile } = ctx
  const categories = Object.entries(profile.catalog)
  return Array.from({ length: count }, (_, i) => {
    const [category, nouns] = rng.pick(categories)
    const createdAt = calendar.before(rng.between(40, 900) * dayMs)
    const updatedAt = laterThan(createdAt, calendar.recentInstant(rng))
    return {
      brand_id: profile.id,
      id: `SKU-${10_001 + i}`,
      name: profile.productName(rng.pick(profile.variants), rng.pick(nouns), rng.pick(profile.sizes)),
      category,
      price: money(profile, rng.int(profile.basket[0] / 5, profile.basket[1] / 8)),
      currency: profile.currency,
      attributes: JSON.stringify({ organic: rng.chance(0.3), own_brand: rng.chance(0.4) }),
      source_updated_at: updatedAt,
      created_at: createdAt,
      updated_at: updatedAt,
    }
  })
}

export function buildStores(ctx: BrandContext): {
  groups: Insertable<GroupsTable>[]
  outlets: Insertable<OutletsTable>[]
} {
  const { rng, calendar, profile } = ctx
  const stamps = () => {
    const createdAt = calendar.before(rng.between(300, 800) * dayMs)
    return { created_at: createdAt, updated_at: laterThan(createdAt, calendar.recentInstant(rng)) }
  }
  const group = (id: string, name: string, kind: 'national' | 'regional' | 'custom', parent: string | null) => {
    const { created_at, updated_at } = stamps()
    return {
      brand_id: profile.id,
      id,
      name,
      kind,
      parent_group_id: parent,
      source_updated_at: updated_at,
      created_at,
      updated_at,
    }
  }
  const groups: Insertable<GroupsTable>[] = [
    group('GRP-NAT', `${profile.name} ${profile.country}`, 'national', null),
    ...profile.regions.map((region, i) => group(`GRP-R${i + 1}`, region, 'regional', 'GRP-NAT')),
    group('GRP-C1', profile.customGroup, 'custom', null),
  ]
  const outlets = Array.from({ length: rng.int(6, 10) }, (_, i): Insertable<OutletsTable> => {
    const { created_at, updated_at } = stamps()
    const city = rng.pick(profile.cities)
    return {
      brand_id: profile.id,
      id: `OUT-${String(i + 1).padStart(3, '0')}`,
      name: `${profile.name} ${city}`,
      group_id: `GRP-R${rng.int(1, profile.regions.length)}`,
      address: `${rng.pick(profile.streets)} ${rng.int(1, 120)}`,
      city,
      country: profile.country,
      source_updated_at: updated_at,
      created_at,
      updated_at,
    }
  })
  return { groups, outlets }
}
