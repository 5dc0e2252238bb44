import type { Calendar } from './demo-calendar.ts'
import { digits, type Random } from './random.ts'

// The three demo brands: the locale-specific words the generators combine, and the context
// the generators of one brand share.

export interface BrandProfile {
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
export const awkwardLastNames = ['O"Brien', 'Smith, Jr.', 'Meyer\nSchulz', "D'Angelo", 'García, Peña', 'van "de" Berg']

export const brandProfiles: readonly BrandProfile[] = [
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

/** What the generators of one brand share. */
export interface BrandContext {
  profile: BrandProfile
  rng: Random
  calendar: Calendar
}

/** An exact decimal string from integer minor units, never through a float: 1999 -> '19.99'. */
export function money(profile: BrandProfile, minor: number): string {
  const units = Math.round(minor)
  if (profile.minorDigits === 0) return String(units)
  return `${Math.floor(units / 100)}.${String(units % 100).padStart(2, '0')}`
}

/** A word list written as one line: the names read better packed than one per line. */
function words(text: string): readonly string[] {
  return text.split(' ')
}
