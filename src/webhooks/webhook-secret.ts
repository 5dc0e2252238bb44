import { randomBytes } from 'node:crypto'

/**
 * A new signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes (the
 * official `standardwebhooks` libraries accept 24 to 64), which receivers pass to them as it is.
 */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/** A webhook's secrets as its row keeps them. */
export interface StoredSecrets {
  signing_secret: string
  previous_signing_secret: string | null
  previous_secret_expires_at: Date | null
}

/** The secrets that sign at `now`: the current one, then the previous one while it still signs after a rotation. */
export function signingSecrets(stored: StoredSecrets, now: Date): string[] {
  const { signing_secret, previous_signing_secret, previous_secret_expires_at } = stored
  return previous_signing_secret !== null && previous_secret_expires_at !== null && previous_secret_expires_at > now
    ? [signing_secret, previous_signing_secret]
    : [signing_secret]
}
