import type { ServerResponse } from 'node:http'
import { describe, it } from 'vitest'
import { findWebhookEvent } from '../../src/webhooks/delivery-history.ts'
import {
  addWebhook,
  deliveriesOf,
  deliveryDatabase,
  eventIdOf,
  publishReceipts,
  receiptCounts,
} from '../support/delivery-fixtures.ts'
import { addBrand } from '../support/fixtures.ts'
import { startFlexDeliver } from '../support/flex-process.ts'
import { multiSessionSkipReason, useTestDatabase } from '../support/test-database.ts'
import { answerOk, startReceiver } from '../support/webhook-receiver.ts'

// Delivery when things go wrong, with `flex deliver` in processes of its own: a worker killed with
// SIGKILL mid-delivery, and a receiver that never answers. These wait on real time (a lease of
// 15 s, an attempt's limit of 10 s), so there is one of each, and they run at once, each with a
// database of its own (a worker delivers every webhook of its database).

const database = useTestDatabase()
const leaseSeconds = 15

describe.concurrent('flex deliver when things go wrong', () => {
  describe('a flex deliver killed with SIGKILL mid-delivery', () => {
    it('leaves its deliveries to the next worker once its leases run out: all delivered, only those in flight twice', async (context) => {
      const skip = multiSessionSkipReason(database.current.kind)
      if (skip) return context.skip(skip)
      const { expect } = context
      const own = await deliveryDatabase(database.current)
      context.onTestFinished(() => own.handle.close())
      const db = () => own.handle.db
      await addBrand(db(), 'killed', 'UTC')
      // Holds every request open until the worker is killed.
      const held: ServerResponse[] = []
      const receiver = await startReceiver((_request, res) => {
        held.push(res)
      })
      const hook = await addWebhook(db(), 'killed', `${receiver.url}/killed`)
      await publishReceipts(
        db(),
        'killed',
        Array.from({ length: 12 }, (_, i) => `K-${i}`),
      )
      const env = own.deliverEnv({ FLEX_DELIVERY_PER_WEBHOOK: '8', FLEX_DELIVERY_LEASE_SECONDS: String(leaseSeconds) })

      const first = await startFlexDeliver({ env })
      let killedAt: number
      try {
        await first.waitFor('eight attempts in flight', () => receiver.requests.length === 8)
        expect(await first.stop('SIGKILL')).toBe('SIGKILL')
        killedAt = Date.now()
      } finally {
        await first.stop('SIGKILL')
      }
      const inFlight = new Set(receiver.requests.map(eventIdOf))
      const firstReceipt = Math.min(...receiver.requests.map((r) => r.at.getTime()))
      expect(inFlight.size).toBe(8)
      receiver.answer(answerOk)
      for (const res of held) res.destroy()

      const second = await startFlexDeliver({ env })
      try {
        await second.waitFor(
          'all twelve deliveries to succeed',
          async () => (await deliveriesOf(db(), hook.id)).filter((d) => d.succeeded).length === 12,
          leaseSeconds * 1000 + 30_000,
        )
      } finally {
        expect(await second.stop()).toBe(0)
        await receiver.close()
      }

      const counts = receiptCounts(receiver.requests)
      expect(counts.size).toBe(12)
      const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id)
      expect(new Set(twice)).toEqual(inFlight)
      expect(Math.max(...counts.values())).toBe(2)

      // The dead worker's leases still count against the webhook's limit of eight, so nothing went
      // to it until they ran out (an endpoint may still be working on requests a worker sent
      // before it died); then all twelve went, within the lease and a few seconds of the kill
      // (the issue asks for 60 s).
      const after = receiver.requests.slice(8).map((r) => r.at.getTime())
      expect(after).toHaveLength(12)
      expect(Math.min(...after) - firstReceipt).toBeGreaterThanOrEqual(leaseSeconds * 1000 - 1_000)
      expect(Math.max(...after) - killedAt).toBeLessThan(leaseSeconds * 1000 + 5_000)

      const deliveries = await deliveriesOf(db(), hook.id)
      expect(deliveries.filter((d) => d.leased || !d.succeeded || d.nextAttemptAt !== null)).toEqual([])
      for (const eventId of inFlight) {
        const event = await findWebhookEvent(db(), hook.id, eventId)
        expect(event?.status).toBe('SUCCESS')
        // The killed worker's attempts died with it: the log holds what was recorded.
        expect(event?.attempts.map((a) => [a.status, a.response?.statusCode])).toEqual([['SUCCESS', 200]])
      }
    })
  })

  describe('a receiver that never answers', () => {
    it('has its attempts ended at 10 s as timeouts, while another webhook’s deliveries keep flowing past its held slots', async (context) => {
      const skip = multiSessionSkipReason(database.current.kind)
      if (skip) return context.skip(skip)
      const { expect } = context
      const own = await deliveryDatabase(database.current)
      context.onTestFinished(() => own.handle.close())
      const db = () => own.handle.db
      await addBrand(db(), 'hang', 'UTC')
      const hanging = await startReceiver(() => {})
      const healthy = await startReceiver()
      const stuck = await addWebhook(db(), 'hang', `${hanging.url}/stuck`)
      const flowing = await addWebhook(db(), 'hang', `${healthy.url}/flowing`)
      // Every event goes to both webhooks.
      await publishReceipts(
        db(),
        'hang',
        Array.from({ length: 40 }, (_, i) => `H-${i}`),
      )
      // Eight attempts in flight in all, four at most to one webhook: the hanging one holds four.
      const worker = await startFlexDeliver({
        env: own.deliverEnv({ FLEX_DELIVERY_CONCURRENCY: '8', FLEX_DELIVERY_PER_WEBHOOK: '4' }),
      })
      try {
        await worker.waitFor(
          'the healthy webhook’s 40 deliveries to succeed',
          async () => (await deliveriesOf(db(), flowing.id)).filter((d) => d.succeeded).length === 40,
        )
        const allFlowed = Date.now()
        expect(hanging.requests).toHaveLength(4)
        const hangingSince = Math.min(...hanging.requests.map((r) => r.at.getTime()))
        expect(allFlowed - hangingSince).toBeLessThan(10_000)
        expect(healthy.requests).toHaveLength(40)

        const held = hanging.requests.slice(0, 4).map(eventIdOf)
        const recorded = async () => {
          const deliveries = await deliveriesOf(db(), stuck.id)
          return deliveries.filter((d) => held.includes(d.eventId) && d.attempts === 1).length
        }
        await worker.waitFor(
          'the four held attempts to end and be recorded',
          async () => (await recorded()) === 4,
          20_000,
        )
        for (const eventId of held) {
          const event = await findWebhookEvent(db(), stuck.id, eventId)
          expect(event?.status).toBe('FAILURE')
          const [attempt] = event?.attempts ?? []
          expect(attempt?.response).toBeNull()
          expect(attempt?.error).toMatchObject({ kind: 'timeout', message: expect.stringContaining('10000 ms') })
          expect(attempt?.durationMs).toBeGreaterThanOrEqual(9_990)
          expect(attempt?.durationMs).toBeLessThan(12_000)
          // The first retry is due 5 s (±10%) after the attempt ended.
          const ended = (attempt?.created.getTime() ?? 0) + (attempt?.durationMs ?? 0)
          expect((event?.nextAttempt?.getTime() ?? 0) - ended).toBeGreaterThanOrEqual(4_400)
          expect((event?.nextAttempt?.getTime() ?? 0) - ended).toBeLessThanOrEqual(5_600)
        }
      } finally {
        // Closing the hanging receiver resets the attempts still held, so the worker stops at once.
        await hanging.close()
        expect(await worker.stop()).toBe(0)
        await healthy.close()
      }
    })
  })
})
