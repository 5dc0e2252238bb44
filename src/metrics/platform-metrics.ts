import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { exportRunStatuses, exportRunWindow, type PlatformState } from './platform-state.ts'

// Every metric the platform exposes, in one place (docs/operations.md lists them). This module is
// below the features: a feature or the HTTP layer records into a metric defined here, and the
// gauges read the database's tables at scrape time, importing no feature.

/** Seconds; from a fast cached read (5 ms) to the longest export request the API allows. */
const httpDurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * Seconds from an event's publication to a delivery's attempt: from the first attempt a busy
 * worker makes within 100 ms, through the retries, to the schedule's end at 24 hours.
 */
const deliveryLatencyBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400]

/** Seconds; from an empty day (a tenth of a second) to a brand-day of tens of millions of rows. */
const exportDurationBuckets = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600]

export type HttpRequestLabels = 'method' | 'route' | 'status_code'

/** What the webhook delivery worker records (it satisfies src/webhooks/delivery-metrics.ts's DeliveryMetrics). */
export interface DeliveryRecorder {
  attemptMade(outcome: string): void
  firstAttempt(secondsSinceEvent: number): void
  delivered(secondsSinceEvent: number): void
}

/** What ingestion records (it satisfies src/ingest/ingest-metrics.ts's IngestMetrics). */
export interface IngestRecorder {
  recordsIngested(entity: string, outcome: string, count: number): void
}

/** What the exports record (it satisfies src/exports/export-metrics.ts's ExportMetrics). */
export interface ExportRecorder {
  runEnded(trigger: string, status: string, seconds: number): void
  fileExported(fileType: string, rows: number): void
  deadlineMissed(): void
}

export interface PlatformMetrics {
  readonly registry: Registry
  /** flex serve's request durations; `route` is the route template, never the raw URL. */
  readonly httpRequestDuration: Histogram<HttpRequestLabels>
  /** The delivery worker's attempts and latencies. */
  readonly delivery: DeliveryRecorder
  /** Ingested records' outcomes, of the HTTP API and of bulk files. */
  readonly ingest: IngestRecorder
  /** Export runs' durations and rows, and the scheduler's missed deadlines. */
  readonly exports: ExportRecorder
  /** Reads the database's gauges afresh and answers the registry in Prometheus text format. */
  scrape(): Promise<string>
  /** The Content-Type of scrape()'s text. */
  readonly contentType: string
}

/**
 * A registry of its own per process (or per test app), so that two apps never share counts.
 * `readState` is readPlatformState over the process's database, called once per scrape.
 */
export function createPlatformMetrics(readState: () => Promise<PlatformState>): PlatformMetrics {
  const registry = new Registry()
  const registers = [registry]
  const httpRequestDuration = new Histogram({
    name: 'flex_http_request_duration_seconds',
    help: 'Time flex serve took to answer a request, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: httpDurationBuckets,
    registers,
  })
  const webhookAttempts = new Counter({
    name: 'flex_webhook_attempts_total',
    help: 'Webhook delivery attempts made by this process, by outcome (success, the status class of another answer, or the kind of failure)',
    labelNames: ['outcome'] as const,
    registers,
  })
  const firstAttemptLatency = new Histogram({
    name: 'flex_webhook_first_attempt_latency_seconds',
    help: "Time from an event's publication to the start of a delivery's first attempt",
    buckets: deliveryLatencyBuckets,
    registers,
  })
  const deliveredLatency = new Histogram({
    name: 'flex_webhook_delivered_latency_seconds',
    help: "Time from an event's publication to the start of a delivery's first successful attempt",
    buckets: deliveryLatencyBuckets,
    registers,
  })
  const ingestedRecords = new Counter({
    name: 'flex_ingest_records_total',
    help: 'Records ingested by this process (API batches and bulk files), by entity type and outcome (created, updated, unchanged, stale, rejected)',
    labelNames: ['entity', 'outcome'] as const,
    registers,
  })
  const exportDuration = new Histogram({
    name: 'flex_export_run_duration_seconds',
    help: 'Time an export run of one brand-day took in this process, by trigger (manual, schedule, backfill) and status (succeeded, failed)',
    labelNames: ['trigger', 'status'] as const,
    buckets: exportDurationBuckets,
    registers,
  })
  const exportedRows = new Counter({
    name: 'flex_export_rows_total',
    help: 'Rows written by the successful export runs of this process, by file type',
    labelNames: ['file_type'] as const,
    registers,
  })
  const deadlineMisses = new Counter({
    name: 'flex_export_deadline_misses_total',
    help: "Brand-days the scheduler in this process found not complete at their deadline (yesterday's export)",
    registers,
  })
  const deadlineMissedBrands = new Gauge({
    name: 'flex_export_deadline_missed_brands',
    help: "Brands whose yesterday's export missed today's deadline (their local time): incomplete (no successful run yet) or late (completed after it)",
    labelNames: ['state'] as const,
    registers,
  })
  const pendingDeliveries = new Gauge({
    name: 'flex_webhook_deliveries_pending',
    help: 'Webhook deliveries that will be attempted (first attempt or retry)',
    registers,
  })
  const oldestPendingDelivery = new Gauge({
    name: 'flex_webhook_delivery_oldest_pending_age_seconds',
    help: 'Age of the oldest pending webhook delivery since it was created; 0 when none is pending',
    registers,
  })
  const overdueDelivery = new Gauge({
    name: 'flex_webhook_delivery_overdue_seconds',
    help: 'How long the most overdue webhook delivery has been due without an attempt (the workers are behind); 0 when none is',
    registers,
  })
  const disabledWebhooks = new Gauge({
    name: 'flex_webhooks_disabled',
    help: 'Webhooks that are disabled, by the brand or by the platform (410 Gone, days without success)',
    registers,
  })
  const failingWebhooks = new Gauge({
    name: 'flex_webhooks_failing',
    help: 'Enabled webhooks whose last attempt failed',
    registers,
  })
  const longestFailingWebhook = new Gauge({
    name: 'flex_webhook_longest_failing_seconds',
    help: 'How long the longest-failing enabled webhook has failed without a success; 0 when none fails',
    registers,
  })
  const exportRuns = new Gauge({
    name: 'flex_export_runs',
    help: `Export runs started in the last ${exportRunWindow}, by status (running, succeeded, failed)`,
    labelNames: ['status'] as const,
    registers,
  })
  const waitingReferences = new Gauge({
    name: 'flex_waiting_references',
    help: 'References to entities that have not arrived yet, by the entity type they wait for',
    labelNames: ['target_type'] as const,
    registers,
  })
  const oldestWaitingReference = new Gauge({
    name: 'flex_waiting_reference_oldest_age_seconds',
    help: 'How long the oldest waiting reference has waited; 0 when none waits',
    registers,
  })

  return {
    registry,
    httpRequestDuration,
    delivery: {
      attemptMade: (outcome) => webhookAttempts.inc({ outcome }),
      firstAttempt: (seconds) => firstAttemptLatency.observe(seconds),
      delivered: (seconds) => deliveredLatency.observe(seconds),
    },
    ingest: {
      recordsIngested: (entity, outcome, count) => ingestedRecords.inc({ entity, outcome }, count),
    },
    exports: {
      runEnded: (trigger, status, seconds) => exportDuration.observe({ trigger, status }, seconds),
      fileExported: (fileType, rows) => exportedRows.inc({ file_type: fileType }, rows),
      deadlineMissed: () => deadlineMisses.inc(),
    },
    contentType: registry.contentType,
    async scrape() {
      const state = await readState()
      pendingDeliveries.set(state.pendingDeliveries)
      oldestPendingDelivery.set(state.oldestPendingDeliverySeconds)
      overdueDelivery.set(state.mostOverdueDeliverySeconds)
      disabledWebhooks.set(state.disabledWebhooks)
      failingWebhooks.set(state.failingWebhooks)
      longestFailingWebhook.set(state.longestFailingWebhookSeconds)
      for (const status of exportRunStatuses) exportRuns.set({ status }, state.exportRuns[status])
      deadlineMissedBrands.set({ state: 'incomplete' }, state.deadlineMissedBrands.incomplete)
      deadlineMissedBrands.set({ state: 'late' }, state.deadlineMissedBrands.late)
      // Reset first: a type whose references have all arrived leaves the output.
      waitingReferences.reset()
      for (const [targetType, count] of state.waitingReferences)
        waitingReferences.set({ target_type: targetType }, count)
      oldestWaitingReference.set(state.oldestWaitingReferenceSeconds)
      return registry.metrics()
    },
  }
}
