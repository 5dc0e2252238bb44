import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.ts'
import { hostileCharacters } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'

// GET /metrics with hostile Authorization headers: anything but "Bearer <the token>" gets 401 in
// the APIErrorResponse shape, never the metrics and never a 5xx.

const database = useTestDatabase()
const runs = Number(process.env.FLEX_PROPERTY_RUNS ?? 200)
const token = 'the-metrics-token'
let app: FastifyInstance

beforeAll(async () => {
  app = buildApp({ database: database.current.handle, metricsToken: token })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
})

const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...hostileCharacters), fc.string({ maxLength: 8 })), { maxLength: 4 })
  .map((parts) => parts.join(''))

// Near misses of the token as well as noise; header values cannot hold CR, LF or NUL.
const authorization = fc
  .oneof(
    hostileText,
    hostileText.map((text) => `Bearer ${text}`),
    fc.constantFrom(`Bearer ${token} `, `Bearer ${token.slice(1)}`, `Bearer ${token}x`, `Basic ${token}`, token),
    hostileText.map((text) => `Bearer ${token}${text}`),
  )
  .filter((value) => !/[\r\n\0]/.test(value) && !new RegExp(`^bearer +${token}$`, 'i').test(value))

describe('GET /metrics with hostile Authorization headers', () => {
  it('accepts the token under the Bearer scheme in any case (RFC 9110: schemes are case-insensitive)', async () => {
    for (const value of [`Bearer ${token}`, `bearer ${token}`, `BEARER  ${token}`]) {
      const answer = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: value } })
      expect(answer.statusCode, value).toBe(200)
    }
  })

  it('answers 401 to anything but the Bearer token', async () => {
    await fc.assert(
      fc.asyncProperty(authorization, async (value) => {
        const answer = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: value } })
        expect(answer.statusCode).toBe(401)
        expect(answer.json()).toMatchObject({ status: 401, message: 'UNAUTHORIZED' })
      }),
      { numRuns: runs },
    )
  })
})
