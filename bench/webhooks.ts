// Webhook delivery benchmark (issue 9), same-run ratios. A receiver runs in its own process
// (bench/webhook-receiver.ts: node:http on 127.0.0.1 … 127.0.0.10, one origin per webhook, 200 at
// once) and the worker is `flex deliver`, a child process, so its peak RSS is its own (VmHWM).
// Ten brands have one webhook each, subscribed to one published type, and every event goes to
// exactly one of them: N events are N deliveries.
//
//   throughput: N events published into the outbox first, then a worker from its start (its log line
//               saying it is delivering) to the last delivery recorded SUCCESS in the database;
//               against a plain loop of the same N POSTs (the same bodies, header names and sizes,
//               to the same ten origins, the worker's concurrency in flight) from this process;
//   latency:    events published at a steady rate in small batches on a timer, a worker running;
//               from each publish call's return (after the commit) to the request's arrival at the
//               receiver, p99 over every event;
//   ingest:     api_records_per_s as bench/ingest.ts measures it (measure-api-ingest.ts), for a brand
//               with 5 webhooks subscribed to CUSTOMER and a worker running, against a brand with
//               none and no worker;
//   isolation:  N/2 events over the ten webhooks, once all healthy and once with the tenth never
//               answering (each of its attempts runs into the worker's 10 s timeout): the other
//               nine's deliveries/s, from the worker's start to their last SUCCESS.
// Each phase starts from empty webhook tables and an untimed CHECKPOINT. The last line is one
// JSON object.
//
//   npm run bench:webhooks -- [--events N] [--rate R] [--seconds S] [--ingest-rows M] [--repeat K]
//                             [--concurrency C] [--database NAME] [--phases LIST] [--worker-env NAME=VALUE …]
//     N defaults to 100,000 (about 3 minutes in all; --events 20000 for a quick look); R events/s
//     for S seconds (500 for 20); M customers per ingest run (100,000); K rounds of the throughput,
//     ingest and isolation comparisons, the median round's ratio reported (1); C is the worker's
//     FLEX_DELIVERY_CONCURRENCY and the baseline's (64). The database NAME (flex_bench_webhooks)
//     is recreated on the server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
//     --phases runs some of throughput,latency,ingest,isolation (all by default); --worker-env adds
//     settings to the worker's environment, for experiments (FLEX_DELIVERY_PER_WEBHOOK=32, PGOPTIONS=…).

import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import pg from 'pg'
import { parse as parseYaml } from 'yaml'
import { upsertBrand } from '../src/brands/brand-repository.ts'
import { type DatabaseHandle, openDatabase } from '../src/db/connect.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { userAgent, webhookVersion } from '../src/webhooks/delivery-request.ts'
import { deliveryDefaults } from '../src/webhooks/delivery-worker.ts'
import { orderEventExample } from '../src/webhooks/event-payloads.ts'
import { publishEvents } from '../src/webhooks/publish-event.ts'
import { createWebhook } from '../src/webhooks/webhook-repository.ts'
import { measureApiIngest } from './measure-api-ingest.ts'
import { type PlainPost, plainHttpLoop } from './plain-http-loop.ts'
import { cpuSecondsOf } from './process-cpu.ts'
import { startReceiverProcess } from './receiver-process.ts'
import { startWorkerProcess, type WorkerProcess } from './worker-process.ts'

const allPhases = ['throughput', 'latency', 'ingest', 'isolation'] as const
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    'ingest-rows': { type: 'string', default: '100000' },
    repeat: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: String(deliveryDefaults.concurrency) },
    database: { type: 'string', default: 'flex_bench_webhooks' },
    phases: { type: 'string', default: allPhases.join(',') },
    'worker-env': { type: 'string', multiple: true, default: [] },
  },
})
const events = wholeNumber('--events', values.events, 20)
const rate = wholeNumber('--rate', values.rate, 1)
const latencySeconds = wholeNumber('--seconds', values.seconds, 1)
const ingestRows = wholeNumber('--ingest-rows', values['ingest-rows'], 1000)
const repeat = wholeNumber('--repeat', values.repeat, 1)
const concurrency = wholeNumber('--concurrency', values.concurrency, 1)
const databaseName = values.database
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseName))
  throw new Error(`--database must be a plain lower-case PostgreSQL name, got ${databaseName}`)
const phases = new Set(values.phases.split(','))
for (const phase of phases) {
  if (!(allPhases as readonly string[]).includes(phase))
    throw new Error(`--phases takes a comma-separated list of ${allPhases.join(', ')}; got ${phase}`)
}
const workerEnv = [...deployedWorkerEnv(), ...values['worker-env']]
for (const setting of workerEnv) {
  if (!/^[A-Z_][A-Z0-9_]*=/.test(setting)) throw new Error(`--worker-env takes NAME=VALUE, got ${setting}`)
}
const isolationEvents = Math.max(20, Math.round(events / 2))

const hookCount = 10
const brands = Array.from({ length: hookCount }, (_, i) => `hooks-${i}`)
const eventType = 'ORDER_EVENTS.OMS.ORDER_SHIPPED'
const fanOut = `${hookCount} brands with one webhook each (${eventType}); each event goes to exactly one webhook`
const at = '2026-11-21T09:00:00Z'
/** The worker's PostgreSQL sessions go by this name, so their CPU can be read. */
const workerApplicationName = 'flex-bench-worker'
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const benchUrl = Object.assign(new URL(serverUrl), { pathname: `/${databaseName}` }).toString()

const handle = await freshDatabase()
const receiver = await startReceiverProcess(hookCount)
const workers = new Set<WorkerProcess>()
const workerPeaks: number[] = []
try {
  const summary = {
    events,
    webhooks: hookCount,
    fan_out: fanOut,
    concurrency,
    repeat,
    ...(phases.has('throughput') ? await throughputPhase() : {}),
    ...(phases.has('latency') ? await latencyPhase() : {}),
    ...(phases.has('ingest') ? await ingestPhase() : {}),
    ...(phases.has('isolation') ? await isolationPhase() : {}),
    worker_peak_rss_mb: workerPeaks.length === 0 ? null : mb(Math.max(...workerPeaks)),
    ...(workerEnv.length === 0 ? {} : { worker_env: workerEnv.join(' ') }),
    node: process.version,
  }
  console.log(JSON.stringify(summary))
} finally {
  for (const worker of workers) await worker.stop().catch(() => undefined)
  await receiver.stop()
  await handle.close()
}

async function throughputPhase() {
  console.log(`throughput: ${events} events, ${fanOut}; worker and plain loop with ${concurrency} in flight`)
  const rounds: { worker: Delivered; plain: Awaited<ReturnType<typeof plainRun>> }[] = []
  for (let r = 1; r <= repeat; r++) {
    const worker = await deliverAll(`t${r}`, events)
    const plain = await plainRun()
    console.log(
      `  round ${r}: worker ${round(worker.seconds)} s (${perSecond(events, worker.seconds)} deliveries/s, ` +
        `${worker.duplicates} duplicates, boot ${Math.round(worker.bootMs)} ms, peak RSS ${mb(worker.peakRssMb)} MB); ` +
        `plain HTTP ${round(plain.seconds)} s (${perSecond(events, plain.seconds)}/s); ratio ${round(plain.seconds / worker.seconds)}`,
    )
    console.log(
      `    CPU ms per delivery: worker ${perEvent(worker.cpu.worker)}, its PostgreSQL sessions ${perEvent(worker.cpu.database)}, ` +
        `receiver ${perEvent(worker.cpu.receiver)}; plain loop ${perEvent(plain.cpu.sender)}, receiver ${perEvent(plain.cpu.receiver)}`,
    )
    rounds.push({ worker, plain })
  }
  const median = medianBy(rounds, (r) => r.plain.seconds / r.worker.seconds)
  return {
    deliveries_per_s: perSecond(events, median.worker.seconds),
    worker_seconds: round(median.worker.seconds),
    plain_http_per_s: perSecond(events, median.plain.seconds),
    plain_http_seconds: round(median.plain.seconds),
    ratio_to_plain_http: round(median.plain.seconds / median.worker.seconds),
    duplicates: median.worker.duplicates,
    throughput_worker_peak_rss_mb: mb(median.worker.peakRssMb),
    // CPU per delivery, a figure this noisy machine's load moves less than the time.
    cpu_ms_per_delivery: {
      worker: perEvent(median.worker.cpu.worker),
      database: perEvent(median.worker.cpu.database),
      receiver: perEvent(median.worker.cpu.receiver),
      plain_loop: perEvent(median.plain.cpu.sender),
      plain_receiver: perEvent(median.plain.cpu.receiver),
    },
    throughput_rounds: rounds.map((r) => round(r.plain.seconds / r.worker.seconds)),
  }
}

async function latencyPhase() {
  console.log(`latency: ${rate} events/s for ${latencySeconds} s, in batches on a timer, worker running`)
  const latency = await latencyRun()
  console.log(
    `  ${latency.events} events at ${latency.achievedRate}/s; publish return to arrival: p50 ${latency.p50} ms, ` +
      `p99 ${latency.p99} ms, max ${latency.max} ms`,
  )
  return {
    latency_events: latency.events,
    latency_rate: latency.achievedRate,
    first_attempt_p50_ms: latency.p50,
    first_attempt_p99_ms: latency.p99,
    first_attempt_max_ms: latency.max,
  }
}

async function ingestPhase() {
  console.log(`ingest: ${ingestRows} customers through the API, 5 webhooks on CUSTOMER and a worker vs none`)
  const rounds: { plain: number; hooked: number; delivered: number; workerCores?: number; databaseCores?: number }[] =
    []
  for (let r = 1; r <= repeat; r++) {
    // Alternating which goes first: the second run inserts into a larger customers table.
    const order = r % 2 === 1 ? (['plain', 'hooked'] as const) : (['hooked', 'plain'] as const)
    const result: (typeof rounds)[number] = { plain: 0, hooked: 0, delivered: 0 }
    for (const side of order) {
      if (side === 'plain') result.plain = (await ingestRun(`ingest-plain-${r}`, false)).recordsPerSecond
      else {
        const hooked = await ingestRun(`ingest-hooked-${r}`, true)
        result.hooked = hooked.recordsPerSecond
        result.delivered = hooked.delivered
        result.workerCores = hooked.workerCores
        result.databaseCores = hooked.databaseCores
      }
    }
    console.log(
      `  round ${r}: without ${result.plain} records/s, with ${result.hooked} records/s; ratio ${round(result.hooked / result.plain)}; ` +
        `meanwhile the worker delivered ${result.delivered}, using ${cores(result.workerCores)} cores and its ` +
        `PostgreSQL sessions ${cores(result.databaseCores)}`,
    )
    rounds.push(result)
  }
  const median = medianBy(rounds, (r) => r.hooked / r.plain)
  return {
    ingest_rows: ingestRows,
    api_records_per_s_without_webhooks: median.plain,
    api_records_per_s_with_webhooks: median.hooked,
    ingest_ratio_with_webhooks: round(median.hooked / median.plain),
    // CPU seconds a second the worker, and its PostgreSQL sessions, used while the hooked run ingested.
    ingest_worker_cores: cores(median.workerCores),
    ingest_worker_database_cores: cores(median.databaseCores),
    ingest_rounds: rounds.map((r) => round(r.hooked / r.plain)),
  }
}

async function isolationPhase() {
  const nine = Array.from({ length: isolationEvents }, (_, i) => i % hookCount).filter((h) => h < hookCount - 1).length
  console.log(
    `isolation: ${isolationEvents} events over ${hookCount} webhooks, all healthy vs the tenth never answering`,
  )
  const rounds: { healthy: number; hanging: number }[] = []
  for (let r = 1; r <= repeat; r++) {
    const order = r % 2 === 1 ? [false, true] : [true, false]
    const result = { healthy: 0, hanging: 0 }
    for (const hang of order) {
      const run = await deliverAll(`i${r}${hang ? 'h' : 'a'}`, isolationEvents, { hang })
      result[hang ? 'hanging' : 'healthy'] = perSecond(nine, run.seconds)
    }
    console.log(
      `  round ${r}: the nine healthy ${result.healthy} deliveries/s with all healthy, ${result.hanging} with one hanging; ` +
        `ratio ${round(result.hanging / result.healthy)}`,
    )
    rounds.push(result)
  }
  const median = medianBy(rounds, (r) => r.hanging / r.healthy)
  return {
    isolation_events: isolationEvents,
    isolation_healthy_per_s: median.healthy,
    isolation_hanging_per_s: median.hanging,
    isolation_ratio: round(median.hanging / median.healthy),
    isolation_rounds: rounds.map((r) => round(r.hanging / r.healthy)),
  }
}

interface Delivered {
  /** From the worker's start to the last delivery counted recorded SUCCESS. */
  seconds: number
  bootMs: number
  duplicates: number
  peakRssMb: number | undefined
  /** CPU seconds from the worker's start to the end, where /proc tells (see cpuSecondsOf). */
  cpu: { worker: number | undefined; database: number | undefined; receiver: number | undefined }
}

/**
 * Publishes `count` events into the outbox over the ten brands, then starts a worker and waits
 * until every delivery (with `hang`: every delivery but the tenth webhook's) is recorded SUCCESS.
 */
async function deliverAll(round: string, count: number, options: { hang?: boolean } = {}): Promise<Delivered> {
  await clearWebhookState()
  const hooks = await createHooks(options.hang ? hookCount - 1 : undefined)
  await publish(round, count)
  await sql`checkpoint`.execute(handle.db)
  const counted = options.hang ? hooks.slice(0, -1) : hooks
  const expected = Array.from({ length: count }, (_, i) => i % hookCount).filter((h) => h < counted.length).length
  return withWorker(async (worker) => {
    const receiverCpu = cpuSecondsOf(receiver.pid)
    const workerCpu = cpuSecondsOf(worker.pid)
    const doneAt = await waitUntilDelivered(counted, expected, worker)
    const cpu = {
      worker: difference(cpuSecondsOf(worker.pid), workerCpu),
      database: await workerSessionsCpuSeconds(),
      receiver: difference(cpuSecondsOf(receiver.pid), receiverCpu),
    }
    const peakRssMb = worker.peakRssMb()
    const received = await receiver.count()
    const requests = counted.reduce((sum, hook) => sum + (received.byPath[hook.path] ?? 0), 0)
    receiver.release()
    return {
      seconds: (doneAt - worker.startedAt) / 1000,
      bootMs: worker.bootMs,
      duplicates: requests - expected,
      peakRssMb,
      cpu,
    }
  })
}

/** CPU seconds of the worker's PostgreSQL sessions so far (Linux, a server on this machine; else undefined). */
async function workerSessionsCpuSeconds(): Promise<number | undefined> {
  const sessions = await sql<{ pid: number }>`
    select pid from pg_stat_activity where datname = current_database() and application_name = ${workerApplicationName}
  `.execute(handle.db)
  let sum = 0
  for (const { pid } of sessions.rows) {
    const seconds = cpuSecondsOf(pid)
    if (seconds === undefined) return undefined
    sum += seconds
  }
  return sessions.rows.length === 0 ? undefined : sum
}

/** The plain loop, with the CPU it and the receiver used. */
async function plainRun(): Promise<{ seconds: number; cpu: { sender: number; receiver: number | undefined } }> {
  const posts = await plainPosts()
  const receiverCpu = cpuSecondsOf(receiver.pid)
  const senderCpu = process.cpuUsage()
  const seconds = await plainHttpLoop(posts, concurrency)
  const used = process.cpuUsage(senderCpu)
  return {
    seconds,
    cpu: {
      sender: (used.user + used.system) / 1e6,
      receiver: difference(cpuSecondsOf(receiver.pid), receiverCpu),
    },
  }
}

/** The POSTs the throughput phase's worker made, as the plain loop sends them. */
async function plainPosts(): Promise<PlainPost[]> {
  const hooks = await handle.db.selectFrom('webhooks').select(['brand_id', 'endpoint']).execute()
  const endpoints = new Map(hooks.map((h) => [h.brand_id, h.endpoint]))
  const messages = await handle.db.selectFrom('webhook_messages').select(['event_id', 'brand_id', 'body']).execute()
  const timestamp = String(Math.floor(Date.now() / 1000))
  const signature = `v1,${'x'.repeat(44)}`
  return messages.map((m) => {
    if (m.body === null) throw new Error(`event ${m.event_id} was delivered without a kept body`)
    return {
      url: endpoints.get(m.brand_id) as string,
      body: m.body,
      headers: {
        'content-type': 'application/json',
        'user-agent': userAgent,
        'webhook-id': m.event_id,
        'webhook-timestamp': timestamp,
        'webhook-signature': signature,
        'x-event-id': m.event_id,
        'x-webhook-version': webhookVersion,
      },
    }
  })
}

async function latencyRun(): Promise<{ events: number; achievedRate: number; p50: number; p99: number; max: number }> {
  await clearWebhookState()
  const hooks = await createHooks()
  const total = rate * latencySeconds
  // Batches every 20 ms or so (one brand's events per call, brands in turn), each due at its own
  // time from the start, so a slow call does not slow the rate.
  const perBatch = Math.max(1, Math.round(rate / 50))
  const intervalMs = (perBatch * 1000) / rate
  const returnedAt = new Map<string, number>()
  return withWorker(async (worker) => {
    const calls: Promise<void>[] = []
    const started = performance.now()
    for (let b = 0; b * perBatch < total; b++) {
      const wait = started + b * intervalMs - performance.now()
      if (wait > 0) await sleep(wait)
      const batch = Array.from({ length: Math.min(perBatch, total - b * perBatch) }, (_, i) =>
        benchEvent(`l-${b * perBatch + i}`),
      )
      calls.push(
        publishEvents(handle.db, brands[b % hookCount] as string, batch).then(() => {
          const now = performance.timeOrigin + performance.now()
          for (const event of batch) returnedAt.set(event.id, now)
        }),
      )
    }
    await Promise.all(calls)
    const publishSeconds = (performance.now() - started) / 1000
    await waitUntilDelivered(hooks, total, worker)
    const report = await receiver.report()
    const messages = await handle.db.selectFrom('webhook_messages').select(['event_id', 'entity_id']).execute()
    const callerId = new Map(messages.map((m) => [m.event_id, m.entity_id]))
    const arrivedAt = new Map<string, number>()
    report.ids.forEach((id, i) => {
      if (!arrivedAt.has(id)) arrivedAt.set(id, report.at[i] as number)
    })
    const latencies = [...arrivedAt].map(([id, arrived]) => {
      const returned = returnedAt.get(callerId.get(id) ?? '')
      if (returned === undefined) throw new Error(`the receiver got event ${id}, which this run did not publish`)
      return arrived - returned
    })
    if (latencies.length !== total) throw new Error(`${latencies.length} of ${total} events arrived`)
    latencies.sort((a, b) => a - b)
    return {
      events: total,
      achievedRate: Math.round(total / publishSeconds),
      p50: Math.round(percentile(latencies, 0.5)),
      p99: Math.round(percentile(latencies, 0.99)),
      max: Math.round(latencies.at(-1) ?? 0),
    }
  })
}

/**
 * One ingest API run for a brand of its own; with `hooked`, 5 webhooks on CUSTOMER and a worker,
 * and the CPU the worker and its PostgreSQL sessions used meanwhile, in cores (CPU seconds a second).
 */
async function ingestRun(
  brandId: string,
  hooked: boolean,
): Promise<{ recordsPerSecond: number; delivered: number; workerCores?: number; databaseCores?: number }> {
  await clearWebhookState()
  await upsertBrand(handle.db, { id: brandId, timezone: 'UTC' })
  if (!hooked) return { ...(await measureApiIngest(handle, { brandId, records: ingestRows, at })), delivered: 0 }
  for (let i = 0; i < 5; i++) {
    const created = await createWebhook(handle.db, brandId, {
      endpoint: `${receiver.urls[i]}/customers/${i}`,
      events: ['CUSTOMER'],
      enabled: true,
      headers: {},
    })
    if (!('created' in created)) throw new Error('a webhook of this run existed already')
  }
  return withWorker(async (worker) => {
    const started = performance.now()
    const before = { worker: cpuSecondsOf(worker.pid), database: await workerSessionsCpuSeconds() }
    const run = await measureApiIngest(handle, { brandId, records: ingestRows, at })
    const seconds = (performance.now() - started) / 1000
    const workerCores = difference(cpuSecondsOf(worker.pid), before.worker)
    const databaseCores = difference(await workerSessionsCpuSeconds(), before.database)
    const { requests } = await receiver.count()
    return {
      ...run,
      delivered: requests,
      workerCores: workerCores === undefined ? undefined : workerCores / seconds,
      databaseCores: databaseCores === undefined ? undefined : databaseCores / seconds,
    }
  })
}

/** Runs `work` with a `flex deliver` running; stops it (SIGTERM) afterwards and keeps its peak RSS. */
async function withWorker<T>(work: (worker: WorkerProcess) => Promise<T>): Promise<T> {
  const worker = await startWorkerProcess({
    databaseUrl: benchUrl,
    concurrency,
    allowNetworks: '127.0.0.0/8',
    env: {
      PGAPPNAME: workerApplicationName,
      ...Object.fromEntries(workerEnv.map((setting) => setting.split(/=(.*)/s).slice(0, 2))),
    },
  })
  workers.add(worker)
  try {
    return await work(worker)
  } finally {
    const peak = worker.peakRssMb()
    if (peak !== undefined) workerPeaks.push(peak)
    receiver.release()
    workers.delete(worker)
    await worker.stop()
    const problems = worker.problems()
    if (problems.length > 0) console.log(`  the worker logged:\n    ${problems.join('\n    ')}`)
  }
}

/**
 * Waits (polling with a deadline) until `expected` deliveries of these webhooks are recorded
 * SUCCESS: first by the receiver's count, which costs the database nothing, then in the database.
 * Answers when that was seen (epoch ms).
 */
async function waitUntilDelivered(hooks: readonly Hook[], expected: number, worker: WorkerProcess): Promise<number> {
  const deadline = performance.now() + 120_000 + expected * 5
  const paths = hooks.map((h) => h.path)
  const ids = hooks.map((h) => h.id)
  const check = (what: string) => {
    if (performance.now() > deadline) {
      throw new Error(`${what} not within the deadline; the worker logged:\n${worker.problems().join('\n')}`)
    }
  }
  for (;;) {
    const { byPath } = await receiver.count()
    if (paths.reduce((sum, path) => sum + (byPath[path] ?? 0), 0) >= expected) break
    check(`${expected} requests at the receiver`)
    await sleep(50)
  }
  for (;;) {
    const { n } = await handle.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.count<string>('succeeded_at').as('n'))
      .where('webhook_id', 'in', ids)
      .executeTakeFirstOrThrow()
    if (Number(n) >= expected) return performance.timeOrigin + performance.now()
    check(`${expected} deliveries recorded SUCCESS`)
    await sleep(20)
  }
}

interface Hook {
  id: string
  /** The path of its endpoint, as the receiver counts requests. */
  path: string
}

/** One webhook per brand on the receiver's listener of the same number; `hang` names one whose path is never answered. */
async function createHooks(hang?: number): Promise<Hook[]> {
  const hooks: Hook[] = []
  for (const [i, brandId] of brands.entries()) {
    const path = `/${i === hang ? 'hang' : 'hook'}/${i}`
    const created = await createWebhook(handle.db, brandId, {
      endpoint: `${receiver.urls[i]}${path}`,
      events: [eventType],
      enabled: true,
      headers: {},
    })
    if (!('created' in created)) throw new Error('a webhook of this run existed already')
    hooks.push({ id: created.created.id, path })
  }
  return hooks
}

/** Publishes `count` events, event i for brand i mod 10, in calls of up to 1,000 per brand. */
async function publish(round: string, count: number): Promise<void> {
  for (const [h, brandId] of brands.entries()) {
    const ids: string[] = []
    for (let i = h; i < count; i += hookCount) ids.push(`${round}-${i}`)
    for (let i = 0; i < ids.length; i += 1000) {
      await publishEvents(handle.db, brandId, ids.slice(i, i + 1000).map(benchEvent))
    }
  }
}

function benchEvent(id: string) {
  return { id, type: eventType, data: { ...orderEventExample, orderId: `ORD-${id}` } }
}

/** Empty webhook, delivery and outbox tables (ingested entities stay). */
async function clearWebhookState(): Promise<void> {
  await receiver.reset()
  await sql`truncate webhook_attempts, webhook_deliveries, webhook_messages, webhooks, outbox_events, published_events`.execute(
    handle.db,
  )
}

async function freshDatabase(): Promise<DatabaseHandle> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${databaseName} with (force)`)
  await admin.query(`create database ${databaseName}`)
  await admin.end()
  const database = await openDatabase({ url: benchUrl })
  await migrateToLatest(database.db)
  for (const id of brands) await upsertBrand(database.db, { id, timezone: 'UTC' })
  return database
}

function medianBy<T>(rounds: readonly T[], ratio: (round: T) => number): T {
  const sorted = [...rounds].sort((a, b) => ratio(a) - ratio(b))
  return sorted[Math.floor(sorted.length / 2)] as T
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0
}

function wholeNumber(flag: string, value: string, min: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got ${value}`)
  return n
}

/** Milliseconds per throughput event, two decimals; null when unknown. */
function perEvent(seconds: number | undefined): number | null {
  return seconds === undefined ? null : Math.round((seconds * 1e5) / events) / 100
}

function cores(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value * 100) / 100
}

function difference(after: number | undefined, before: number | undefined): number | undefined {
  return after === undefined || before === undefined ? undefined : after - before
}

function perSecond(count: number, seconds: number): number {
  return Math.round(count / seconds)
}

function mb(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value)
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

/**
 * The environment cloudbuild.yaml deploys the delivery workers with (--set-env-vars of its
 * deploy-delivery step, e.g. the V8 heap cap), so that the benchmark's worker runs as deployed.
 */
function deployedWorkerEnv(): string[] {
  const build = parseYaml(readFileSync(new URL('../cloudbuild.yaml', import.meta.url), 'utf8')) as {
    steps: { id?: string; args?: string[] }[]
  }
  const step = build.steps.find((s) => s.id === 'deploy-delivery')
  return (step?.args ?? []).flatMap((arg) =>
    arg.startsWith('--set-env-vars=') ? arg.slice('--set-env-vars='.length).split(',') : [],
  )
}
