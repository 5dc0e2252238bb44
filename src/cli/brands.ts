import { listBrands, upsertBrand } from '../brands/brand-repository.ts'
import { defineCommand, jsonOption, usageError, withDatabase } from './command.ts'

export const brandsCommand = defineCommand({
  name: 'brands',
  summary: 'add or list brands (tenants), each with its IANA timezone',
  help: `Usage:
  flex brands add ID --timezone TZ [--name NAME] [--json]
  flex brands list [--json]

add   creates a brand, or updates the name and timezone of an existing one. ID: 1-63 lowercase
      letters, digits, - or _. TZ: an IANA name such as Europe/Berlin; the brand's export days
      run from local midnight to local midnight in it.
list  prints every brand.

Exit codes: 0 done; 1 a failure; 2 bad arguments (an invalid ID or an unknown timezone).`,
  options: {
    timezone: { type: 'string', description: 'IANA timezone of the brand' },
    name: { type: 'string', description: 'display name (default: the id)' },
    ...jsonOption,
  },
  allowPositionals: true,
  async run({ values, positionals }, context) {
    const [action, id, ...rest] = positionals
    if (rest.length > 0) throw usageError('brands', `unexpected argument "${rest[0]}"`)
    if (action === 'add') {
      if (!id) throw usageError('brands', 'add needs a brand ID')
      if (!values.timezone) throw usageError('brands', 'add needs --timezone, e.g. --timezone Europe/Berlin')
      const timezone = values.timezone
      const brand = await withDatabase(context, (database) =>
        upsertBrand(database.db, { id, timezone, name: values.name }),
      )
      context.print(values.json ? JSON.stringify(brand) : `brand ${brand.id} (${brand.timezone}) saved`)
      return 0
    }
    if (action === 'list') {
      if (id) throw usageError('brands', `unexpected argument "${id}"`)
      const brands = await withDatabase(context, (database) => listBrands(database.db))
      if (values.json) context.print(JSON.stringify(brands))
      else if (brands.length === 0) context.print('no brands yet; add one with: flex brands add ID --timezone TZ')
      else for (const b of brands) context.print(`${b.id}\t${b.timezone}\t${b.name}`)
      return 0
    }
    throw usageError('brands', action ? `unknown action "${action}" (use add or list)` : 'say add or list')
  },
})
