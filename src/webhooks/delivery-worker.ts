import type { Kysely } from 'kysely'
import type { Database } from '../db/database.ts'
import type { Logger } from '../logger.ts'
import {
  type AttemptMeasure,
  attemptOutcomeName,
  type DeliveryMetrics,
  recordAttemptMeasures,
} from './delivery-metrics.ts'
import {
  type AttemptRecord,
  type ClaimedDelivery,
  claimDeliveries,
  endDeliveries,
  recordAttempts,
} from './delivery-queue.ts'
import { deliveryRequest, requestAsRecorded } from './delivery-request.ts'
import { AllowedNetworks } from './endpoint-url.ts'
import { fanOutEvents } from './fan-out.ts'
import { renderMessages } from './render-message.ts'
import { goneStatus, nextAttemptAt } from './retry-schedule.ts'
import {
  type AttemptSender,
  attemptSucceeded,
  sendAttempt,
  WebhookSender,
  type WebhookSenderOptions,
} from './send-webhook-request.ts'

export interface DeliveryWorkerOptions {
  db: Kysely<Database>
  sender: AttemptSender
  logger: Logger
  /** Attempts in flight in this worker. */
  concurrency?: number
  /** Attempts in flight to one webhook, across all workers. */
  perWebhook?: number
  /** How long a claimed delivery is held; a dead worker's deliveries are due again after it. */
  leaseMs?: number
  /** How often an idle worker looks for work. */
  pollMs?: number
  /** Outbox events taken per fan-out. */
  fanOutBatch?: number
  /** The clock every time the worker writes comes from (injectable for tests). */
  clock?: () => Date
  /** The jitter's random source (injectable for tests). */
  random?: () => number
  /** Where attempts are counted and latencies measured (flex deliver's /metrics); none by default. */
  metrics?: DeliveryMetrics | undefined
}

export const deliveryDefaults = {
  concurrency: 64,
  perWebhook: 16,
  leaseMs: 30_000,
  pollMs: 100,
  fanOutBatch: 500,
} as const

const flushSize = 200

/** Events younger than this still in the outbox after a full fan-out batch mean a burst is arriving. */
const burstWindowMs = 1_000
/** During a burst, each round is followed by a pause this many times its length (a 25% duty cycle). */
const burstYieldFactor = 3
const flushDelayMs = 10

/**
 * The delivery worker: fans the outbox out into deliveries, leases due deliveries in fair turns,
 * renders each event's body once, signs and sends each attempt, and records the results in
 * batches with each delivery's next time. Several workers may run against one database.
 */
export class DeliveryWorker {
  readonly #db: Kysely<Database>
  readonly #sender: AttemptSender
  readonly #log: Logger
  readonly #concurrency: number
  readonly #perWebhook: number
  readonly #leaseMs: number
  readonly #pollMs: number
  readonly #fanOutBatch: number
  readonly #clock: () => Date
  readonly #random: () => number
  readonly #metrics: DeliveryMetrics | undefined

  #running: Promise<void> | undefined
  #stopping = false
  #inFlight = new Set<Promise<void>>()
  #pending: { record: AttemptRecord; measure: AttemptMeasure }[] = []
  #flushing: Promise<void> | undefined
  #flushTimer: NodeJS.Timeout | undefined
  #wake: (() => void) | undefined
  #wakeOnSlot = false

  constructor(options: DeliveryWorkerOptions) {
    this.#db = options.db
    this.#sender = options.sender
    this.#log = options.logger
    this.#concurrency = options.concurrency ?? deliveryDefaults.concurrency
    this.#perWebhook = options.perWebhook ?? deliveryDefaults.perWebhook
    this.#leaseMs = options.leaseMs ?? deliveryDefaults.leaseMs
    this.#pollMs = options.pollMs ?? deliveryDefaults.pollMs
    this.#fanOutBatch = options.fanOutBatch ?? deliveryDefaults.fanOutBatch
    this.#clock = options.clock ?? (() => new Date())
    this.#random = options.random ?? Math.random
    this.#metrics = options.metrics
  }

  /** Starts the loop; `stop` ends it. */
  start(): void {
    if (this.#running) return
    this.#stopping = false
    this.#running = this.#loop()
  }

  /** Stops taking work, lets the attempts in flight finish (each ends within its timeout) and records them. */
  async stop(): Promise<void> {
    this.#stopping = true
    this.#wake?.()
    await this.#running
    this.#running = undefined
    await Promise.all(this.#inFlight)
    await this.#flush()
  }

  /**
   * One round without the loop: fan out, claim what is due, attempt it and record the results.
   * Answers how many attempts it made. For tests and for draining in scripts.
   */
  async runOnce(): Promise<number> {
    await fanOutEvents(this.#db, { now: this.#clock(), batchSize: this.#fanOutBatch })
    const started = await this.#claimAndStart(this.#concurrency)
    await Promise.all(this.#inFlight)
    await this.#flush()
    return started
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      let busy = false
      let burst = false
      const roundStarted = performance.now()
      try {
        const fanned = await fanOutEvents(this.#db, { now: this.#clock(), batchSize: this.#fanOutBatch })
        busy = fanned.events === this.#fanOutBatch
        burst =
          busy && fanned.newestEventAt !== undefined && Date.now() - fanned.newestEventAt.getTime() < burstWindowMs
        const room = this.#concurrency - this.#inFlight.size
        if (room > 0) {
          const started = await this.#claimAndStart(room)
          busy ||= started === room
        }
      } catch (err) {
        this.#log.error({ err }, 'webhook delivery round failed; trying again shortly')
        busy = false
      }
      if (this.#stopping) break
      if (burst) {
        // Events pour in (a large ingest is running: a full batch taken, and events still arriving):
        // work a quarter of the time and leave the database to the ingest, whose events cannot
        // all be delivered at once anyway; full speed again once the burst is over.
        await this.#idle(burstYieldFactor * (performance.now() - roundStarted), false)
        continue
      }
      // Full: wait for a free slot. Nothing more due: wait for the poll interval (a finished attempt
      // schedules its retry seconds ahead at the earliest, so it is no reason to look sooner).
      const full = this.#inFlight.size >= this.#concurrency
      if (full || !busy) await this.#idle(this.#pollMs, full)
    }
  }

  #idle(ms: number, untilSlotFrees: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#wake = undefined
        this.#wakeOnSlot = false
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#wake = done
      this.#wakeOnSlot = untilSlotFrees
    })
  }

  async #claimAndStart(limit: number): Promise<number> {
    const claimed = await claimDeliveries(this.#db, {
      now: this.#clock(),
      limit,
      perWebhook: this.#perWebhook,
      leaseMs: this.#leaseMs,
    })
    if (claimed.length === 0) return 0
    const unrendered = claimed.filter((d) => d.body === null && !d.erased)
    const bodies = await renderMessages(this.#db, unrendered)
    const ended: ClaimedDelivery[] = []
    for (const delivery of claimed) {
      const body = delivery.body ?? bodies.get(delivery.eventId)
      if (body === undefined) ended.push(delivery)
      else this.#start(delivery, body)
    }
    // An erased message is not sent: its customer's data is gone, and a retry must send the same bytes.
    await endDeliveries(this.#db, ended)
    return claimed.length
  }

  #start(delivery: ClaimedDelivery, body: string): void {
    const attempt = this.#attempt(delivery, body).finally(() => {
      this.#inFlight.delete(attempt)
      if (this.#wakeOnSlot) this.#wake?.()
    })
    this.#inFlight.add(attempt)
  }

  async #attempt(delivery: ClaimedDelivery, body: string): Promise<void> {
    const startedAt = this.#clock()
    const request = deliveryRequest(delivery, body, startedAt)
    const outcome = await sendAttempt(this.#sender, request, startedAt)
    const statusCode = outcome.response?.statusCode
    const succeeded = attemptSucceeded(outcome)
    const gone = statusCode === goneStatus
    const attempts = delivery.attempts + 1
    const endedAt = this.#clock()
    const next =
      succeeded || gone || delivery.succeededAt !== null
        ? undefined
        : nextAttemptAt(
            {
              attempts,
              firstAttemptAt: delivery.firstAttemptAt ?? startedAt,
              now: endedAt,
              retryAfter: outcome.response?.headers['retry-after'],
              statusCode,
            },
            this.#random,
          )
    this.#log.debug(
      { webhookId: delivery.webhookId, eventId: delivery.eventId, attempts, statusCode, error: outcome.error?.kind },
      'webhook attempt',
    )
    const record: AttemptRecord = {
      webhookId: delivery.webhookId,
      eventId: delivery.eventId,
      leaseToken: delivery.leaseToken,
      startedAt,
      succeeded,
      request: requestAsRecorded(delivery, request),
      response: outcome.response,
      error: outcome.error,
      durationMs: outcome.durationMs,
      nextAttemptAt: next,
      gone,
    }
    const measure: AttemptMeasure = {
      outcome: attemptOutcomeName(outcome, succeeded),
      eventAt: delivery.occurredAt,
      startedAt,
      first: delivery.firstAttemptAt === null,
      firstSuccess: succeeded && delivery.succeededAt === null,
    }
    this.#pending.push({ record, measure })
    if (this.#pending.length >= flushSize) void this.#flush()
    else this.#flushTimer ??= setTimeout(() => void this.#flush(), flushDelayMs)
  }

  /** Records the pending results; one flush at a time, each a single statement. */
  async #flush(): Promise<void> {
    clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
    while (this.#flushing) await this.#flushing
    if (this.#pending.length === 0) return
    const batch = this.#pending
    this.#pending = []
    this.#flushing = (async () => {
      try {
        const disabled = await recordAttempts(
          this.#db,
          batch.map((pending) => pending.record),
          this.#clock(),
        )
        for (const d of disabled) this.#log.warn(d, 'webhook disabled')
        // Counted once recorded, so that the counts follow the attempt log. (A result whose lease
        // was lost, which recordAttempts drops, is still counted: its request was made.)
        if (this.#metrics)
          recordAttemptMeasures(
            this.#metrics,
            batch.map((pending) => pending.measure),
          )
      } catch (err) {
        // The leases run out and the deliveries are attempted again: at least once, never lost.
        this.#log.error({ err, attempts: batch.length }, 'recording webhook attempts failed')
      }
    })()
    await this.#flushing
    this.#flushing = undefined
  }
}

export interface DeliveryServiceOptions
  extends Omit<DeliveryWorkerOptions, 'sender'>,
    Pick<WebhookSenderOptions, 'extraCa' | 'resolve' | 'timeoutMs'> {
  /** FLEX_WEBHOOK_ALLOW_NETWORKS: the non-public networks endpoints may be in. */
  allowNetworks: readonly string[]
}

/** A delivery worker with its own guarded sender, started; `stop` ends both. */
export function startDeliveryWorker(options: DeliveryServiceOptions): { stop(): Promise<void> } {
  const { allowNetworks, extraCa, resolve, timeoutMs, ...workerOptions } = options
  const sender = new WebhookSender({ allowed: new AllowedNetworks(allowNetworks), extraCa, resolve, timeoutMs })
  const worker = new DeliveryWorker({ ...workerOptions, sender })
  worker.start()
  return {
    async stop() {
      await worker.stop()
      await sender.close()
    },
  }
}
