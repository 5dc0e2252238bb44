import { randomBytes } from 'node:crypto'

/**
 * A new signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes (the
 * official `standardwebhooks` libraries accept 24 to 64), which receivers pass to them as it is.
 */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}
