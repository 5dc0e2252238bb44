import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { type ApiKeyScope, firstUseOfSignature, type LiveApiKey, lookUpKey } from '../apikeys/api-key-repository.ts'
import { brandIdPattern, getBrand } from '../brands/brand-repository.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import { RateLimiter } from './rate-limiter.ts'
import { signatureMatches, signatureToleranceSeconds, signRequest } from './request-signature.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body as received, kept for verifying request signatures. */
    rawBody: string | undefined
    /** The request's API key and whom it acts for (a brand, or every brand), once authenticated. */
    apiKey: AuthenticatedKey | undefined
  }
}

/** A live key presented with a request: the key itself (for the rate limit; never logged) and its scope. */
export type AuthenticatedKey = LiveApiKey & { key: string }

export interface ApiKeyAuthOptions {
  database: DatabaseHandle
  /** Requests each API key may make per window; more get 429 with Retry-After. */
  rateLimit: { requests: number; windowMs: number }
}

/**
 * Every route of the scope it is registered in needs an API key of the brand in its URL (or an
 * operator key, for any existing brand), a signature when the key requires one, and stays within the
 * key's rate limit. The scope's routes name the brand as the `brandId` parameter.
 */
const apiKeyAuthPlugin: FastifyPluginAsync<ApiKeyAuthOptions> = async (app, options) => {
  const { database } = options
  const limiter = new RateLimiter(options.rateLimit)
  app.decorateRequest('rawBody', undefined)
  app.decorateRequest('apiKey', undefined)

  // Before the body is read: a request without a valid key learns nothing about its route or body.
  app.addHook('onRequest', async (request, reply) => {
    request.apiKey = await authenticate(database, request)
    // Every line logged for the request from here on (the routes' own, "request completed") names
    // the key by its id, and says so when an operator's key acts for a brand. The key itself never.
    const { id, operator } = request.apiKey
    request.log = request.log.child(operator ? { apiKeyId: id, operator: true } : { apiKeyId: id })
    reply.log = request.log
    const retryAfter = limiter.take(request.apiKey.key)
    if (retryAfter !== undefined) {
      throw new FlexError(
        'RATE_LIMITED',
        `More than ${limiter.requests} requests in ${limiter.windowMs / 1000} s; retry after ${retryAfter} s.`,
        { retryAfterSeconds: retryAfter },
      )
    }
  })

  // The signature covers the body, so it is checked once the body is read, before it is parsed.
  app.addHook('preValidation', async (request) => {
    const secret = request.apiKey?.signingSecret
    if (secret) await verifySignature(request, secret)
  })

  /** For keys that require it: a fresh timestamp, a matching HMAC, and no replay. */
  async function verifySignature(request: FastifyRequest, secret: string): Promise<void> {
    const timestamp = request.headers['x-flex-timestamp']
    const signature = request.headers['x-flex-signature']
    if (typeof timestamp !== 'string' || typeof signature !== 'string') {
      throw new FlexError(
        'UNAUTHENTICATED',
        'This API key requires signed requests: send X-Flex-Timestamp and X-Flex-Signature.',
      )
    }
    const skew = Math.abs(Date.now() / 1000 - Number(timestamp))
    if (!Number.isFinite(skew) || skew > signatureToleranceSeconds) {
      throw new FlexError(
        'UNAUTHENTICATED',
        `X-Flex-Timestamp must be within ${signatureToleranceSeconds} s of the current time.`,
      )
    }
    const expected = signRequest(secret, timestamp, request.method, request.url, request.rawBody ?? '')
    if (!signatureMatches(expected, signature)) {
      throw new FlexError('UNAUTHENTICATED', 'X-Flex-Signature does not match the request.')
    }
    if (!(await firstUseOfSignature(database.db, signature))) {
      throw new FlexError('UNAUTHENTICATED', 'This signed request was already received; sign each request anew.')
    }
  }
}

/**
 * 401 without a live API key; 403 when a brand's key is used for another brand than the URL's. An
 * operator key acts for any brand that exists; for one that does not it gets 404 BRAND_NOT_FOUND.
 */
export async function authenticate(database: DatabaseHandle, request: FastifyRequest): Promise<AuthenticatedKey> {
  const header = request.headers.authorization
  const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined
  if (!key) throw new FlexError('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>".')
  const found = await lookUpKey(database.db, key)
  if (!found) throw new FlexError('UNAUTHENTICATED', 'The API key is unknown or revoked.')
  await authorizeBrand(database, found, brandOf(request))
  return { key, ...found }
}

/**
 * Whether a key (or a console session, which acts with its key's scope) may act for a brand: a
 * brand's key only for its own (403 otherwise), an operator key for any brand that exists (404 for
 * one that does not).
 */
export async function authorizeBrand(database: DatabaseHandle, scope: ApiKeyScope, brandId: string): Promise<void> {
  if (scope.operator) {
    // An id outside the brands' alphabet names no brand; it is not sent to the database (NUL bytes
    // and the like would fail there as a 500 instead of this 404).
    if (!brandIdPattern.test(brandId)) {
      throw new FlexError('BRAND_NOT_FOUND', `no brand "${brandId}"; list brands with: flex brands list`)
    }
    await getBrand(database.db, brandId)
  } else if (scope.brandId !== brandId) {
    throw new FlexError('FORBIDDEN', `This API key may not access brand ${brandId}.`)
  }
}

/** The brand a request is for: its route's parameter, or (unknown routes) the path segment after /v1/. */
function brandOf(request: FastifyRequest): string {
  const params = request.params as { brandId?: string } | undefined
  if (params?.brandId !== undefined) return params.brandId
  const segment = request.url.split('?')[0]?.split('/')[2] ?? ''
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

// Hooks and decorators must reach the routes registered next to this plugin, so the plugin opts
// out of encapsulation (what the fastify-plugin package does; not worth a dependency for one line).
Object.assign(apiKeyAuthPlugin, { [Symbol.for('skip-override')]: true })

export const apiKeyAuth: FastifyPluginAsync<ApiKeyAuthOptions> = apiKeyAuthPlugin
