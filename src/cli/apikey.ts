import { createApiKey, revokeApiKey } from '../apikeys/api-key-repository.ts'
import { getBrand } from '../brands/brand-repository.ts'
import { exitCodes } from '../errors.ts'
import { uuidPattern } from '../uuid-pattern.ts'
import { defineCommand, jsonOption, usageError, withDatabase } from './command.ts'

export const apikeyCommand = defineCommand({
  name: 'apikey',
  summary: 'create or revoke API keys for the ingestion API',
  help: `Usage:
  flex apikey create --brand ID [--require-signature] [--json]
  flex apikey create --operator [--require-signature] [--json]
  flex apikey revoke KEY_ID

create prints a new key for the brand once; only its hash is stored, so keep it now. Send it as
"Authorization: Bearer <key>". With --operator the key belongs to no brand: it is an operator's,
for the people who run the platform, and reads and writes every brand under /v1/{brandId}/...
With --require-signature every request made with the key must also be signed with the signing
secret printed alongside (docs/ingestion.md). revoke disables a key (a brand's or an operator's)
by the id create printed.

Exit codes: 0 done; 1 a failure; 2 bad arguments, an unknown brand, or no live key with that id.`,
  options: {
    brand: { type: 'string' },
    operator: { type: 'boolean' },
    'require-signature': { type: 'boolean' },
    ...jsonOption,
  },
  allowPositionals: true,
  async run({ values, positionals }, context) {
    const [action, id, ...rest] = positionals
    if (rest.length > 0) throw usageError('apikey', `unexpected argument "${rest[0]}"`)
    if (action === 'create') {
      if (values.brand !== undefined && values.operator) {
        throw usageError('apikey', 'say --brand ID or --operator, not both: an operator key belongs to no brand')
      }
      if (!values.brand && !values.operator) {
        throw usageError('apikey', 'create needs --brand ID (or --operator for a key to every brand)')
      }
      const brandId = values.operator ? undefined : values.brand
      const requireSignature = values['require-signature'] ?? false
      const created = await withDatabase(context, async (database) => {
        if (brandId === undefined) return createApiKey(database.db, { operator: true }, { requireSignature })
        await getBrand(database.db, brandId)
        return createApiKey(database.db, brandId, { requireSignature })
      })
      if (values.json) context.print(JSON.stringify(created))
      else {
        context.print(`key id: ${created.id}`)
        if (created.operator) context.print('scope:  operator (every brand)')
        context.print(`key:    ${created.key}`)
        if (created.signingSecret) context.print(`signing secret: ${created.signingSecret}`)
        context.print('They are shown only now; store them safely.')
      }
      return exitCodes.ok
    }
    if (action === 'revoke') {
      if (!id) throw usageError('apikey', 'revoke needs the KEY_ID')
      if (!uuidPattern.test(id)) {
        throw usageError('apikey', `KEY_ID must be the key id flex apikey create printed (a UUID), got "${id}"`)
      }
      const revoked = await withDatabase(context, (database) => revokeApiKey(database.db, id))
      if (!revoked) throw usageError('apikey', `no live key ${id}: revoked already, or never created`)
      context.print(`key ${id} revoked`)
      return exitCodes.ok
    }
    throw usageError('apikey', action ? `unknown action "${action}" (use create or revoke)` : 'say create or revoke')
  },
})
