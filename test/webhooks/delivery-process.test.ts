import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { findWebhookEvent, retryDelivery } from '../../src/webhooks/delivery-history.ts'
import {
  addWebhook,
  deliveriesOf,
  deliveryDatabase,
  eventIdOf,
  publishReceipts,
  receiptCounts,
} from '../support/delivery-fixtures.ts'
import { addBrand } from '../support/fixtures.ts'
import { type FlexProcess, flexOutput, startFlexDeliver, startFlexServer } from '../support/flex-process.ts'
import { multiSessionSkipReason, useTestDatabase } from '../support/test-database.ts'
import { answerOk, startReceiver } from '../support/webhook-receiver.ts'

// Delivery as users run it: `flex deliver` workers and `flex serve --deliver` in processes of their
// own, stopped by real signals, sending to real receivers over real sockets (and real TLS). The
// test writes webhooks and events into the database the workers use and reads the outcome there
// and at the receivers; each flex deliver test has a database of its own. Crashes and hanging
// receivers: delivery-process-faults.test.ts.

const database = useTestDatabase()
const execFileAsync = promisify(execFile)

/** Lines of a worker's JSON log with this message. */
function logged(worker: FlexProcess, message: string): Record<string, unknown>[] {
  return worker
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === message)
}

describe('flex deliver', () => {
  it('two workers racing deliver every event of three webhooks exactly once', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    const { expect } = context
    const own = await deliveryDatabase(database.current)
    context.onTestFinished(() => own.handle.close())
    const db = () => own.handle.db
    await addBrand(db(), 'race', 'UTC')
    // A little latency at the receiver keeps attempts in flight, so that the workers interleave.
    const receiver = await startReceiver(async (request, res) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20))
      answerOk(request, res)
    })
    const hooks = await Promise.all(['/a', '/b', '/c'].map((p) => addWebhook(db(), 'race', `${receiver.url}${p}`)))
    const env = own.deliverEnv()
    const workers = await Promise.all([
      startFlexDeliver({ env, logLevel: 'debug' }),
      startFlexDeliver({ env, logLevel: 'debug' }),
    ])
    try {
      // Published in ten transactions while both run, so that they race over fan-out too.
      const ids = Array.from({ length: 300 }, (_, i) => `R-${i}`)
      for (let i = 0; i < ids.length; i += 30) await publishReceipts(db(), 'race', ids.slice(i, i + 30))

      const [first] = workers
      await first?.waitFor(
        'all 900 deliveries to succeed',
        async () =>
          (await Promise.all(hooks.map((h) => deliveriesOf(db(), h.id)))).flat().filter((d) => d.succeeded).length ===
          900,
      )
    } finally {
      // Stopped before counting: an attempt still in flight (a duplicate) reaches the receiver first.
      expect(await Promise.all(workers.map((w) => w.stop()))).toEqual([0, 0])
      await receiver.close()
    }

    for (const hook of hooks) {
      const deliveries = await deliveriesOf(db(), hook.id)
      expect(deliveries).toHaveLength(300)
      expect(deliveries.filter((d) => d.attempts !== 1 || !d.succeeded || d.leased || d.nextAttemptAt)).toEqual([])
    }
    for (const p of ['/a', '/b', '/c']) {
      const counts = receiptCounts(receiver.requests.filter((r) => r.path === p))
      expect(counts.size, p).toBe(300)
      expect(
        [...counts.values()].filter((n) => n !== 1),
        `${p}: event ids received more than once`,
      ).toEqual([])
    }
    const receipts = receiver.requests.map(
      (r) => (JSON.parse(r.body) as { data: { receiptId: string } }).data.receiptId,
    )
    expect(new Set(receipts).size).toBe(300)
    // Both took part: the race was run.
    const attemptsPerWorker = workers.map((w) => logged(w, 'webhook attempt').length)
    expect(attemptsPerWorker.reduce((a, b) => a + b)).toBe(900)
    expect(Math.min(...attemptsPerWorker)).toBeGreaterThan(0)
  })

  it('on SIGTERM takes no more work, finishes the attempts in flight, records them and exits 0 with nothing leased', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    const { expect } = context
    const own = await deliveryDatabase(database.current)
    context.onTestFinished(() => own.handle.close())
    const db = () => own.handle.db
    await addBrand(db(), 'term', 'UTC')
    // The receiver holds each request until the test lets it answer.
    const held: (() => void)[] = []
    const receiver = await startReceiver((request, res) => {
      held.push(() => answerOk(request, res))
    })
    const hook = await addWebhook(db(), 'term', `${receiver.url}/term`)
    await publishReceipts(
      db(),
      'term',
      Array.from({ length: 20 }, (_, i) => `T-${i}`),
    )
    // Five at a time to the webhook: five in flight when the signal comes, fifteen waiting.
    const worker = await startFlexDeliver({ env: own.deliverEnv({ FLEX_DELIVERY_PER_WEBHOOK: '5' }) })
    let exitCode: number | string
    let answeredAt = Number.POSITIVE_INFINITY
    try {
      await worker.waitFor('five attempts in flight', () => receiver.requests.length === 5)
      worker.child.kill('SIGTERM')
      await worker.waitFor('the worker to begin stopping', () =>
        worker.stderr().includes('stopping: finishing webhook attempts in flight'),
      )
      // A second after the signal, the receiver answers: the worker waits for it.
      setTimeout(() => {
        answeredAt = Date.now()
        for (const answer of held) answer()
      }, 1_000)
      exitCode = await worker.exited
    } finally {
      await worker.stop('SIGKILL')
      await receiver.close()
    }
    const exitedAt = Date.now()
    expect(exitCode, worker.stderr()).toBe(0)
    expect(exitedAt).toBeGreaterThanOrEqual(answeredAt)
    expect(receiver.requests).toHaveLength(5)

    const deliveries = await deliveriesOf(db(), hook.id)
    const inFlight = new Set(receiver.requests.map(eventIdOf))
    expect(deliveries.filter((d) => d.leased)).toEqual([])
    expect(deliveries.filter((d) => inFlight.has(d.eventId))).toEqual(
      [...inFlight].map(() => expect.objectContaining({ attempts: 1, succeeded: true, nextAttemptAt: null })),
    )
    const waiting = deliveries.filter((d) => !inFlight.has(d.eventId))
    expect(waiting).toHaveLength(15)
    expect(waiting.filter((d) => d.attempts !== 0 || d.succeeded || d.nextAttemptAt === null)).toEqual([])
    for (const eventId of inFlight) {
      const event = await findWebhookEvent(db(), hook.id, eventId)
      expect(event?.attempts.map((a) => [a.status, a.response?.statusCode])).toEqual([['SUCCESS', 200]])
    }
  })
})

describe('flex deliver over TLS', () => {
  let dir: string
  let key: Buffer
  let cert: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flex-deliver-tls-'))
    await execFileAsync('/usr/bin/openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ])
    key = await readFile(path.join(dir, 'key.pem'))
    cert = await readFile(path.join(dir, 'cert.pem'), 'utf8')
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('delivers to https://localhost signed, trusting the receiver’s CA through NODE_EXTRA_CA_CERTS, and refuses it without', async (context) => {
    const skip = multiSessionSkipReason(database.current.kind)
    if (skip) return context.skip(skip)
    const { expect } = context
    const own = await deliveryDatabase(database.current)
    context.onTestFinished(() => own.handle.close())
    const db = () => own.handle.db
    await addBrand(db(), 'tls', 'UTC')
    const receiver = await startReceiver(answerOk, { tls: { key, cert } })
    try {
      const hook = await addWebhook(db(), 'tls', `https://localhost:${receiver.port}/tls`)
      await publishReceipts(db(), 'tls', ['TLS-1'])
      const eventId = async () => (await deliveriesOf(db(), hook.id))[0]?.eventId ?? ''

      // Without the CA the certificate is not trusted: a 'tls' failure, nothing received.
      const untrusting = await startFlexDeliver({ env: own.deliverEnv() })
      try {
        await untrusting.waitFor(
          'the first attempt to be recorded',
          async () => (await deliveriesOf(db(), hook.id))[0]?.attempts === 1,
        )
      } finally {
        expect(await untrusting.stop()).toBe(0)
      }
      const refused = await findWebhookEvent(db(), hook.id, await eventId())
      expect(refused?.attempts.map((a) => a.error?.kind)).toEqual(['tls'])
      expect(receiver.requests).toEqual([])

      expect(await retryDelivery(db(), hook.id, await eventId(), new Date())).toBe('queued')
      const trusting = await startFlexDeliver({
        env: own.deliverEnv({ NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') }),
      })
      try {
        await trusting.waitFor(
          'the delivery to succeed',
          async () => (await deliveriesOf(db(), hook.id))[0]?.succeeded === true,
        )
      } finally {
        expect(await trusting.stop()).toBe(0)
      }
      expect(receiver.requests).toHaveLength(1)
      const [request] = receiver.requests
      if (!request) throw new Error('nothing received')
      expect(request.path).toBe('/tls')
      expect(request.headers.host).toBe(`localhost:${receiver.port}`)
      expect(new StandardWebhook(hook.secret).verify(request.body, request.headers)).toMatchObject({
        id: await eventId(),
        type: 'RECEIPTS',
        brandId: 'tls',
        data: { receiptId: 'TLS-1' },
      })
      const delivered = await findWebhookEvent(db(), hook.id, await eventId())
      expect(delivered?.status).toBe('SUCCESS')
      expect(delivered?.attempts.map((a) => a.error?.kind ?? a.response?.statusCode)).toEqual(['tls', 200])
    } finally {
      await receiver.close()
    }
  })
})

describe('flex serve --deliver on the embedded database', () => {
  // A longer limit: four processes each open the embedded database (seconds of CPU apiece), which
  // on a loaded machine has taken over 30 s in all.
  it('delivers a customer ingested through the API to a webhook created through the API, signed; SIGTERM exits 0', async ({
    expect,
  }) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flex-serve-deliver-'))
    // No DATABASE_URL: the embedded PGlite in a folder of its own, which one process opens at a time.
    const env = { FLEX_EMBEDDED_DIR: path.join(dir, 'pglite'), FLEX_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8' }
    const receiver = await startReceiver()
    try {
      await flexOutput(['migrate'], env)
      await flexOutput(['brands', 'add', 'embedded', '--timezone', 'Europe/Berlin'], env)
      const { key } = JSON.parse(await flexOutput(['apikey', 'create', '--brand', 'embedded', '--json'], env)) as {
        key: string
      }
      const server = await startFlexServer({ env, args: ['--deliver'] })
      try {
        const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
        const created = await fetch(`${server.url}/v1/embedded/webhooks`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ endpoint: `${receiver.url}/customers`, events: ['CUSTOMER'] }),
        })
        expect(created.status).toBe(201)
        const hook = (await created.json()) as { id: string; secret: string }

        const ingested = await fetch(`${server.url}/v1/embedded/customers`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify([{ id: 'C-1', email: 'zoe@example.com', updated_at: '2026-11-21T09:30:00+01:00' }]),
        })
        expect(ingested.status).toBe(200)

        await server.waitFor('the receiver to get the event', () => receiver.requests.length > 0)
        const [request] = receiver.requests
        if (!request) throw new Error('nothing received')
        const verified = new StandardWebhook(hook.secret).verify(request.body, request.headers) as {
          id: string
          data: unknown
        }
        // The event carries the customer as GET answers it.
        const got = await fetch(`${server.url}/v1/embedded/customers/C-1`, { headers: auth })
        expect(verified).toMatchObject({ type: 'CUSTOMER.CREATED', brandId: 'embedded', data: await got.json() })
        expect(verified.data).toMatchObject({ entity: { id: 'C-1', email: 'zoe@example.com' } })

        const events = async () => {
          const answer = await fetch(`${server.url}/v1/embedded/webhooks/${hook.id}/events`, { headers: auth })
          return ((await answer.json()) as { events: { id: string; type: string; status: string }[] }).events
        }
        await server.waitFor(
          'the events API to show the delivery succeeded',
          async () => (await events())[0]?.status === 'SUCCESS',
        )
        expect(await events()).toEqual([
          expect.objectContaining({ id: verified.id, type: 'CUSTOMER.CREATED', status: 'SUCCESS' }),
        ])
        expect(receiver.requests).toHaveLength(1)
      } finally {
        expect(await server.stop('SIGTERM')).toBe(0)
      }
      expect(server.stderr()).not.toMatch(/"level":50/)
    } finally {
      await receiver.close()
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
