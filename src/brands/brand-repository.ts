import type { Kysely } from 'kysely'
import { isValidTimezone } from '../calendar/time-zone.ts'
import type { Brand, Database } from '../db/database.ts'
import { FlexError } from '../errors.ts'

/** Brand ids name folders in every export path, so they are kept to a safe alphabet. */
export const brandIdPattern = /^[a-z0-9][a-z0-9_-]{0,62}$/

export interface NewBrand {
  id: string
  timezone: string
  name?: string | undefined
}

export function validateNewBrand(brand: NewBrand): void {
  if (!brandIdPattern.test(brand.id)) {
    throw new FlexError(
      'USAGE',
      `invalid brand id "${brand.id}": use 1-63 lowercase letters, digits, - or _, starting with a letter or digit`,
    )
  }
  if (!isValidTimezone(brand.timezone)) {
    throw new FlexError(
      'INVALID_TIMEZONE',
      `unknown timezone "${brand.timezone}": use an IANA name such as Europe/Berlin or America/New_York`,
    )
  }
}

/** Creates a brand, or updates the name and timezone of an existing one. */
export async function upsertBrand(db: Kysely<Database>, brand: NewBrand): Promise<Brand> {
  validateNewBrand(brand)
  return db
    .insertInto('brands')
    .values({ id: brand.id, name: brand.name ?? brand.id, timezone: brand.timezone })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        name: brand.name === undefined ? eb.ref('brands.name') : eb.ref('excluded.name'),
        timezone: eb.ref('excluded.timezone'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function listBrands(db: Kysely<Database>): Promise<Brand[]> {
  return db.selectFrom('brands').selectAll().orderBy('id').execute()
}

export async function getBrand(db: Kysely<Database>, id: string): Promise<Brand> {
  const brand = await db.selectFrom('brands').selectAll().where('id', '=', id).executeTakeFirst()
  if (!brand) throw new FlexError('BRAND_NOT_FOUND', `no brand "${id}"; list brands with: flex brands list`)
  return brand
}
