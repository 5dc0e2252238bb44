import type { AttemptErrorKind, AttemptOutcome } from './send-webhook-request.ts'

// What the delivery worker tells monitoring about its attempts. The worker is handed a sink of
// this shape (src/metrics implements it with prom-client); the feature itself knows no metrics
// library, and a worker without a sink records nothing.

const errorKinds = [
  'timeout',
  'refused',
  'reset',
  'dns',
  'tls',
  'address',
  'other',
] as const satisfies readonly AttemptErrorKind[]

/**
 * An attempt's outcome as one word: `success` for a complete 2xx answer, the status class of any
 * other answer, else the kind of failure (send-webhook-request.ts). A response cut off by a
 * timeout or a reset counts as that failure, as it does for the retry schedule. A bounded list,
 * so that it can be a metric's label.
 */
export const attemptOutcomes = ['success', 'http_1xx', 'http_3xx', 'http_4xx', 'http_5xx', ...errorKinds] as const
export type AttemptOutcomeName = (typeof attemptOutcomes)[number]

export function attemptOutcomeName(
  outcome: Pick<AttemptOutcome, 'response' | 'error'>,
  succeeded: boolean,
): AttemptOutcomeName {
  if (succeeded) return 'success'
  if (outcome.error !== undefined) return outcome.error.kind
  if (outcome.response === undefined) return 'other'
  const status = outcome.response.statusCode
  // undici answers statuses 100 to 999; those past 599 are nobody's standard and count with 5xx.
  // A 2xx answer without an error is a success; the worker never calls this otherwise.
  const klass = Math.min(5, Math.max(1, Math.floor(status / 100)))
  return klass === 2 ? 'other' : (`http_${klass}xx` as AttemptOutcomeName)
}

/** The sink the worker records into, after the attempts' results are recorded in the database. */
export interface DeliveryMetrics {
  /** One attempt made, by outcome. */
  attemptMade(outcome: AttemptOutcomeName): void
  /** A delivery's first attempt started this long after its event was published. */
  firstAttempt(secondsSinceEvent: number): void
  /** A delivery's first successful attempt started this long after its event was published. */
  delivered(secondsSinceEvent: number): void
}

/** What the worker notes of one attempt, for its sink. */
export interface AttemptMeasure {
  outcome: AttemptOutcomeName
  /** When the event was published (appended to the outbox): the delivery's message's occurred_at. */
  eventAt: Date
  startedAt: Date
  /** No attempt of this delivery was recorded before this one. */
  first: boolean
  /** This attempt succeeded and none of this delivery had before (a manual retry of a success is not a second one). */
  firstSuccess: boolean
}

export function recordAttemptMeasures(metrics: DeliveryMetrics, measures: readonly AttemptMeasure[]): void {
  for (const measure of measures) {
    metrics.attemptMade(measure.outcome)
    // A clock behind the database's by a little must not give a negative latency.
    const seconds = Math.max(0, (measure.startedAt.getTime() - measure.eventAt.getTime()) / 1_000)
    if (measure.first) metrics.firstAttempt(seconds)
    if (measure.firstSuccess) metrics.delivered(seconds)
  }
}
