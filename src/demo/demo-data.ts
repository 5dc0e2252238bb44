import { type Insertable, type Kysely, sql } from 'kysely'
import { upsertBrand } from '../brands/brand-repository.ts'
import type {
  CampaignMessagesTable,
  CampaignSkusTable,
  CampaignsTable,
  Channel,
  CustomersTable,
  Database,
  GroupsTable,
  LinkDailyStatsTable,
  LinksTable,
  MessageStatus,
  OptOutsTable,
  OutletsTable,
  ProductsTable,
} from '../db/database.ts'
import { addDays, dayWindow, isValidDate } from '../exports/day-window.ts'

// Deterministic demo data: three brands in different timezones with customers, products, stores
// and 30 days of campaigns whose messages, opt-outs and link clicks follow from each other.
// Every value comes from a seeded PRNG and `today`, never from the clock, so a re-run writes
// exactly the same rows; upserts that only rewrite changed rows keep it idempotent.

const minuteMs = 60_000
const hourMs = 60 * minuteMs
const dayMs = 24 * hourMs

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
// Brand profiles: the locale-specific words the generators combine.

interface BrandProfile {
  id: string
  name: string
  timezone: string
  currency: 'EUR' | 'USD' | 'JPY'
  /** Digits after the decimal point in prices; yen have none. */
  minorDigits: 0 | 2
  /** Smallest and largest basket attributed to a conversion, in minor units. */
  basket: [number, number]
  country: string
  emailDomains: readonly string[]
  phone(rng: Random): string
  firstNames: readonly string[]
  lastNames: readonly string[]
  cities: readonly string[]
  streets: readonly string[]
  regions: readonly string[]
  customGroup: string
  /** category -> product nouns */
  catalog: Readonly<Record<string, readonly string[]>>
  variants: readonly string[]
  sizes: readonly string[]
  productName(variant: string, noun: string, size: string): string
  campaignNames: readonly string[]
  subjects: readonly string[]
  shopUrl: string
}

/** Names that break naive CSV writers and parsers: quotes, commas, a line break. */
const awkwardLastNames = ['O"Brien', 'Smith, Jr.', 'Meyer\nSchulz', "D'Angelo", 'García, Peña', 'van "de" Berg']

const brandProfiles: readonly BrandProfile[] = [
  {
    id: 'nordlicht',
    name: 'Nordlicht Drogeriemärkte',
    timezone: 'Europe/Berlin',
    currency: 'EUR',
    minorDigits: 2,
    basket: [499, 12_999],
    country: 'DE',
    emailDomains: ['example.com', 'example.net', 'example.org'],
    phone: (rng) => `+4915${rng.int(1, 9)}${digits(rng, 8)}`,
    firstNames: words(
      'Zoë Søren Łukasz Jürgen Anneliese Björn Mia Lena Ömer François Jonas Hannah Leon Emilia Maximilian Sophie Felix Marie Ayşe Małgorzata Jörg Käthe',
    ),
    lastNames: words(
      'Müller Schäfer Weiß Groß Köhler Schmidt Becker Hoffmann Wagner Łukaszewicz Nowak Yılmaz Fischer Krüger Bauer Vogel Zimmermann Jäger Øberg',
    ),
    cities: ['Berlin', 'München', 'Köln', 'Düsseldorf', 'Hamburg', 'Leipzig', 'Nürnberg', 'Münster'],
    streets: ['Hauptstraße', 'Bahnhofstraße', 'Königsallee', 'Schloßstraße', 'Marktplatz', 'Friedrichstraße'],
    regions: ['Nord', 'Süd', 'West', 'Ost'],
    customGroup: 'Pilotfilialen "Q4", Self-Checkout',
    catalog: {
      Pflege: ['Handcreme', 'Duschgel', 'Shampoo', 'Bodylotion', 'Lippenbalsam', 'Gesichtsmaske'],
      Lebensmittel: ['Haferdrink', 'Müsli', 'Bio-Kaffee', 'Zartbitterschokolade', 'Knäckebrot', 'Gummibärchen'],
      Haushalt: ['Spülmittel', 'Waschmittel', 'Allzweckreiniger', 'Küchenrolle'],
      Baby: ['Windeln', 'Feuchttücher', 'Babybrei'],
    },
    variants: ['Sensitiv', 'Classic', 'Bio', 'Vanille', 'Mandel & Honig', '"Frische Brise"', 'Zitrone, extra stark'],
    sizes: ['250 ml', '500 ml', '1 l', '100 g', '3 × 80 g', 'XXL'],
    productName: (variant, noun, size) => `${noun} ${variant}, ${size}`,
    campaignNames: [
      'Winter-Sale: bis zu 30 % Rabatt',
      'Adventskalender 🎄 Tür 1',
      'Newsletter KW 46',
      '„Sonntagsfrühstück" – jetzt mit Brötchen',
      'Treuepunkte x2, nur am Wochenende',
      'Warenkorb-Erinnerung',
      'Black Week 🔥 Deals',
      'Neu im Sortiment:\nNaturkosmetik',
      'Geburtstagsgutschein',
      'Herbst-Special "Bio, regional"',
      'Re-Aktivierung 90 Tage',
      'Nikolaus-Aktion 🎅',
    ],
    subjects: [
      'Hallo, deine Vorteile warten 🎁',
      'Nur heute: 20 % auf "Bio"-Produkte',
      'Neu:\nunsere Naturkosmetik-Linie',
      'Zeit für Plätzchen? 🍪',
      'Dein Warenkorb vermisst dich',
      'Doppelte Punkte – nur bis Sonntag!',
      'Schon gesehen? Angebote, die wärmen ☕',
    ],
    shopUrl: 'https://www.nordlicht.example/angebote',
  },
  {
    id: 'maple-market',
    name: 'Maple Market',
    timezone: 'America/New_York',
    currency: 'USD',
    minorDigits: 2,
    basket: [799, 19_999],
    country: 'US',
    emailDomains: ['example.com', 'example.org'],
    // 555-01xx is the range reserved for fiction.
    phone: (rng) => `+1${rng.pick(['212', '646', '718', '917', '201'])}55501${digits(rng, 2)}`,
    firstNames: words(
      'José Zoë Chloé Liam Emma Noah Ava Seán Renée Olivia Ethan Mia Lucas Isabella Mateo Amelia André Jalen Priya Søren',
    ),
    lastNames: words(
      'Smith Johnson García Martínez Brown Nguyễn Williams Davis Rodríguez Miller Wilson Anderson Peña Lopez Kowalski Chen Patel Łukasiewicz',
    ),
    cities: ['New York', 'Brooklyn', 'Hoboken', 'Newark', 'Stamford', 'Yonkers', 'Jersey City'],
    streets: ['Main St', 'Broadway', '5th Ave', 'Elm St', 'Atlantic Ave', 'Washington Blvd'],
    regions: ['Manhattan', 'Brooklyn & Queens', 'New Jersey', 'Connecticut'],
    customGroup: 'Stores with "Curbside", 24h',
    catalog: {
      Produce: ['Honeycrisp Apples', 'Baby Spinach', 'Sweet Potatoes', 'Avocados', 'Cranberries'],
      Bakery: ['Sourdough Loaf', 'Pumpkin Pie', 'Bagels', 'Dinner Rolls'],
      Pantry: ['Maple Syrup', 'Peanut Butter', 'Granola', 'Tortilla Chips', 'Stuffing Mix'],
      Household: ['Paper Towels', 'Dish Soap', 'Laundry Pods'],
    },
    variants: ['Organic', 'Family Size', 'Gluten-Free', 'Classic', '"Homestyle"', 'Low Sodium, Lightly Salted'],
    sizes: ['12 oz', '1 lb', '2 lb', '6 ct', '24 oz', '3-pack'],
    productName: (variant, noun, size) => `${variant} ${noun}, ${size}`,
    campaignNames: [
      'Thanksgiving Prep, Part 1',
      'Black Friday "Doorbusters" 🦃',
      'Weekly Deals – Nov 10',
      'Cart Reminder',
      'Holiday Baking, Made Easy',
      'Turkey Hotline 📞',
      'Cyber Monday: Free Delivery',
      'Fall Harvest "Fresh, Local"',
      'Win-back: We Miss You',
      'Game Day Snacks 🏈',
      'Friendsgiving\nBundle',
    ],
    subjects: [
      'Your "Thank You" coupon inside 🍁',
      'Fresh picks,\nready for you',
      'Last call: 25% off pies 🥧',
      "Don't forget your cart",
      'Doorbusters start now — save big',
      'Pumpkin, spice & everything nice',
    ],
    shopUrl: 'https://shop.maple-market.example/deals',
  },
  {
    id: 'sakura-mart',
    name: 'さくらマート',
    timezone: 'Asia/Tokyo',
    currency: 'JPY',
    minorDigits: 0,
    basket: [300, 25_000],
    country: 'JP',
    emailDomains: ['example.jp', 'example.com'],
    phone: (rng) => `+81${rng.pick(['70', '80', '90'])}${digits(rng, 8)}`,
    firstNames: ['太郎', '花子', '翔', 'さくら', '結衣', '蓮', '陽菜', '大翔', '美咲', '健太', 'ユウキ', 'Ken', 'Zoë'],
    lastNames: ['山田', '佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '中村', '小林', '加藤', '吉田', '山本'],
    cities: ['東京都渋谷区', '東京都新宿区', '横浜市', '大阪市', '京都市', '名古屋市', '札幌市', '福岡市'],
    streets: ['1-2-3', '4-5-6', '2-10-1', '3-7-12', '5-1-8'],
    regions: ['関東', '関西', '中部', '北海道・九州'],
    customGroup: '駅ナカ店舗, "Express"',
    catalog: {
      食品: ['緑茶', 'おにぎり', '味噌', '醤油', 'カップ麺', 'ポテトチップス「うすしお」'],
      日用品: ['シャンプー', '洗剤', 'ティッシュ', '歯ブラシ'],
      飲料: ['ほうじ茶ラテ', '炭酸水', '缶コーヒー'],
    },
    variants: ['国産', '有機', '特選', '期間限定', '徳用'],
    sizes: ['500ml', '2L', '100g', '6個入り', '3袋'],
    productName: (variant, noun, size) => `${variant} ${noun} ${size}`,
    campaignNames: [
      '冬のセール ❄️',
      'ポイント2倍キャンペーン',
      '年末大感謝祭, 第1弾',
      '「新商品」のお知らせ',
      'お歳暮ギフト特集 🎁',
      '週末限定タイムセール',
      'カート放置リマインド',
      'おせち予約受付中\n早割10%OFF',
      'いい肉の日 🥩 (11/29)',
      'ブラックフライデー "特価"',
    ],
    subjects: [
      '本日限定：全品10%オフ',
      'ポイントが2倍に！',
      '「冬の新作」入荷しました ☃️',
      'ご注文をお忘れではありませんか？',
      '早割,\n今なら10%OFF',
    ],
    shopUrl: 'https://sakura-mart.example/campaign',
  },
]

// ---------------------------------------------------------------------------------------------
// Building one brand's rows in memory.

interface BrandData {
  profile: BrandProfile
  customers: Insertable<CustomersTable>[]
  products: Insertable<ProductsTable>[]
  groups: Insertable<GroupsTable>[]
  outlets: Insertable<OutletsTable>[]
  campaigns: Insertable<CampaignsTable>[]
  campaignSkus: Insertable<CampaignSkusTable>[]
  links: Insertable<LinksTable>[]
  messages: Insertable<CampaignMessagesTable>[]
  optOuts: Insertable<OptOutsTable>[]
  linkStats: Insertable<LinkDailyStatsTable>[]
}

/** What the generators of one brand share. */
interface BrandContext {
  profile: BrandProfile
  rng: Random
  calendar: Calendar
}

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

// --- customers --------------------------------------------------------------------------------

interface Customer {
  id: string
  row: Insertable<CustomersTable> & { updated_at: Date }
  /** Whether a channel can reach the customer at all (contact data and consent at signup). */
  reachable: Record<Channel, boolean>
  deletedAt: Date | null
}

function buildCustomers(ctx: BrandContext, count: number): Customer[] {
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
    attributes: jsonValue({
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

type JsonInsert = Insertable<CustomersTable>['attributes'] & Insertable<ProductsTable>['attributes']

/**
 * database.ts declares jsonb columns as Generated<Json> with Json itself a ColumnType, so Kysely's
 * insert type for them is the ColumnType marker rather than an object or string. The value is
 * sent as JSON text, which is what the column takes.
 */
function jsonValue(value: Record<string, string | number | boolean>): JsonInsert {
  return JSON.stringify(value) as unknown as JsonInsert
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

function buildProducts(ctx: BrandContext, count: number): Insertable<ProductsTable>[] {
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
      attributes: jsonValue({ organic: rng.chance(0.3), own_brand: rng.chance(0.4) }),
      source_updated_at: updatedAt,
      created_at: createdAt,
      updated_at: updatedAt,
    }
  })
}

function buildStores(ctx: BrandContext): {
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

// --- campaigns ----------------------------------------------------------------------------------

interface CampaignPlan {
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

interface LinkPlan {
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
function planCampaigns(ctx: BrandContext): CampaignPlan[] {
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

function campaignRow(ctx: BrandContext, plan: CampaignPlan): Insertable<CampaignsTable> {
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

function campaignSkuRows(
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

function linkRow(ctx: BrandContext, plan: CampaignPlan, link: LinkPlan): Insertable<LinksTable> {
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

function sendCampaign(
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
class OptOutLedger {
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
function addBackgroundOptOuts(ctx: BrandContext, customers: readonly Customer[], ledger: OptOutLedger): void {
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
function addImportedOptOuts(ctx: BrandContext, customers: readonly Customer[], ledger: OptOutLedger): void {
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
function withdrawConsents(customers: readonly Customer[], ledger: OptOutLedger): void {
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
class ClickCounter {
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
function linkStatRows(ctx: BrandContext, plan: CampaignPlan, clicks: ClickCounter): Insertable<LinkDailyStatsTable>[] {
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

// ---------------------------------------------------------------------------------------------
// Writing.

async function writeBrandData(db: Kysely<Database>, data: BrandData): Promise<void> {
  await upsertBrand(db, { id: data.profile.id, name: data.profile.name, timezone: data.profile.timezone })
  const entityKey = ['brand_id', 'id'] as const
  await upsertRows(db, 'customers', entityKey, data.customers)
  await upsertRows(db, 'products', entityKey, data.products)
  await upsertRows(db, 'groups', entityKey, data.groups)
  await upsertRows(db, 'outlets', entityKey, data.outlets)
  await upsertRows(db, 'campaigns', entityKey, data.campaigns)
  await upsertRows(db, 'campaign_skus', ['brand_id', 'campaign_id', 'sku'], data.campaignSkus)
  await upsertRows(db, 'links', entityKey, data.links)
  await upsertRows(db, 'campaign_messages', ['brand_id', 'campaign_id', 'customer_id', 'channel'], data.messages)
  await upsertRows(db, 'opt_outs', entityKey, data.optOuts)
  await upsertRows(db, 'link_daily_stats', ['brand_id', 'link_id', 'stat_date'], data.linkStats)
}

/** PostgreSQL allows 65,535 bind parameters per statement; stay clear of it. */
const maxParameters = 60_000

type TableName = keyof Database & string

// Kysely cannot type an insert into a table picked by a type parameter, so the writer works on
// an untyped view of the same connection; callers still hand in rows typed for their table.
type UntypedDatabase = Record<string, Record<string, unknown>>

/**
 * Inserts rows in batches; a row that exists is rewritten only when a value differs. That guard
 * matters: the touch trigger sets updated_at to now() whenever an UPDATE leaves it unchanged, so
 * rewriting an identical row, even with updated_at = excluded.updated_at, would move it to now().
 * created_at is never rewritten, as its column type says.
 */
async function upsertRows<T extends TableName>(
  db: Kysely<Database>,
  table: T,
  key: readonly (keyof Database[T] & string)[],
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  const first = rows[0]
  if (first === undefined) return
  const columns = Object.keys(first)
  const changing = columns.filter((c) => !(key as readonly string[]).includes(c) && c !== 'created_at')
  const refs = (relation: string) => sql.join(changing.map((c) => sql.ref(`${relation}.${c}`)))
  const untyped = db as unknown as Kysely<UntypedDatabase>
  const perStatement = Math.floor(maxParameters / columns.length)
  for (let start = 0; start < rows.length; start += perStatement) {
    await untyped
      .insertInto(table as string)
      .values(rows.slice(start, start + perStatement) as Record<string, unknown>[])
      .onConflict((oc) =>
        oc
          .columns(key)
          .doUpdateSet(Object.fromEntries(changing.map((c) => [c, sql.ref(`excluded.${c}`)])))
          .where(sql<boolean>`(${refs(table)}) is distinct from (${refs('excluded')})`),
      )
      .execute()
  }
}

// ---------------------------------------------------------------------------------------------
// Time.

/**
 * A brand's local calendar around `today`, by day offset (-1 is yesterday). The data is generated
 * as of the end of the UTC day `today` (the cutoff), not the start of the brand's local today:
 * `flex demo` exports "yesterday" in each brand's timezone at whatever hour it runs, which late in
 * the UTC day is today itself for Tokyo and Berlin. Every such day is then complete and has data.
 */
class Calendar {
  static readonly firstOffset = -45
  static readonly lastOffset = 10
  readonly cutoff: Date
  readonly #today: string
  /** Start of each local day from firstOffset to lastOffset + 1, in ms. */
  readonly #starts: number[] = []

  constructor(today: string, timezone: string) {
    this.#today = today
    for (let offset = Calendar.firstOffset; offset <= Calendar.lastOffset + 1; offset++) {
      this.#starts.push(dayWindow(addDays(today, offset), timezone).start.getTime())
    }
    this.cutoff = new Date(`${addDays(today, 1)}T00:00:00Z`)
  }

  date(offset: number): string {
    return addDays(this.#today, offset)
  }

  /** `hours` after the start of local day `offset`: wall-clock time, up to an hour off on DST days. */
  at(offset: number, hours: number): Date {
    const start = this.#starts[offset - Calendar.firstOffset]
    if (start === undefined) throw new RangeError(`day ${offset} is outside the demo calendar`)
    return new Date(start + hours * hourMs)
  }

  /** The local day offset an instant falls on. */
  dayOf(instant: Date): number {
    const t = instant.getTime()
    let low = 0
    let high = this.#starts.length - 1
    while (low < high) {
      const mid = Math.ceil((low + high) / 2)
      if ((this.#starts[mid] ?? Number.POSITIVE_INFINITY) <= t) low = mid
      else high = mid - 1
    }
    return low + Calendar.firstOffset
  }

  /** The last local day that ends before the cutoff. */
  lastFullDay(): number {
    return this.dayOf(this.cutoff) - 1
  }

  /**
   * Every local day an export run during the UTC day `today` can take for "yesterday": today - 1
   * and, depending on the hour, today (east of UTC) or today - 2 (west of UTC).
   */
  recentDays(): number[] {
    const first = this.dayOf(this.before(dayMs)) - 1
    const last = this.dayOf(this.before(1)) - 1
    return Array.from({ length: last - first + 1 }, (_, i) => first + i)
  }

  /** `ms` before the cutoff. */
  before(ms: number): Date {
    return new Date(this.cutoff.getTime() - Math.round(ms))
  }

  /** A random instant in the 30 days before the cutoff. */
  recentInstant(rng: Random): Date {
    return this.before(rng.between(0.001, 30) * dayMs)
  }
}

function laterThan(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b
}

function earlierThan(limit: Date, instant: Date): Date {
  return instant < limit ? instant : new Date(limit.getTime() - 1)
}

// ---------------------------------------------------------------------------------------------
// Numbers.

/** An exact decimal string from integer minor units, never through a float: 1999 -> '19.99'. */
function money(profile: BrandProfile, minor: number): string {
  const units = Math.round(minor)
  if (profile.minorDigits === 0) return String(units)
  return `${Math.floor(units / 100)}.${String(units % 100).padStart(2, '0')}`
}

/** A word list written as one line: the names read better packed than one per line. */
function words(text: string): readonly string[] {
  return text.split(' ')
}

function digits(rng: Random, count: number): string {
  return Array.from({ length: count }, () => rng.int(0, 9)).join('')
}

/** Code-point order, the same as the database's "C" collation for these ASCII ids. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** FNV-1a: turns the seed and brand id into a 32-bit PRNG seed. */
function hashSeed(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** mulberry32: tiny, fast and good enough for demo data; the same seed gives the same sequence everywhere. */
class Random {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    const low = Math.ceil(min)
    return low + Math.floor(this.next() * (Math.floor(max) - low + 1))
  }

  between(min: number, max: number): number {
    return min + this.next() * (max - min)
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)]
    if (item === undefined) throw new RangeError('pick from an empty list')
    return item
  }

  weighted<T extends { weight: number }>(items: readonly T[]): T {
    const total = items.reduce((sum, item) => sum + item.weight, 0)
    let r = this.next() * total
    for (const item of items) {
      r -= item.weight
      if (r < 0) return item
    }
    return this.pick(items)
  }

  /** A copy in random order. */
  shuffle<T>(items: readonly T[]): T[] {
    return this.sample(items, items.length)
  }

  /** `count` distinct items in random order (partial Fisher-Yates). */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items]
    const n = Math.min(count, pool.length)
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.next() * (pool.length - i))
      const chosen = pool[j] as T
      pool[j] = pool[i] as T
      pool[i] = chosen
    }
    return pool.slice(0, n)
  }

  /**
   * An exponentially distributed delay with the given median, capped: most events follow soon,
   * a long tail comes days later.
   */
  delay(medianMs: number, maxMs: number): number {
    return Math.min(maxMs, (-Math.log(1 - this.next()) * medianMs) / Math.LN2)
  }
}
