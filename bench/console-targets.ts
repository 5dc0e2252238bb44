// What bench/console.ts measures: one row per URL. To measure a new page or endpoint, add a row
// (and, when it needs an id the table does not have yet, a field to BenchSample and to
// sampleOf in bench/console.ts). A row whose URL answers 404 is reported as skipped, not measured,
// so that rows for pages still being built can wait here.

/** Ids picked from the seeded data for the URLs: the first brand, its busiest webhook, … */
export interface BenchSample {
  brand: string
  /** The brand's webhook with the most deliveries. */
  webhook: string
  /** The startId of a page near the end of that webhook's delivery log (a deep keyset page). */
  deepStartId: string
  /** The delivery of that webhook with the most attempts, a failed one where there is one (given up after 8). */
  failedEvent: string
  /** One of that delivery's attempts. */
  attempt: string
  /** A day of the brand's that failed or was late, with several runs. */
  exportDay: string
  /** The brand's latest export run. */
  exportRun: string
  /** ISO instants 24 h ago and now, for ranges. */
  dayAgo: string
  now: string
  /** An hour a week ago (ISO instants), a window the newest events of a log are all after. */
  weekAgoStart: string
  weekAgoEnd: string
}

/**
 * page: a console page (HTML, with a session); api: a JSON endpoint under /v1 (with an API key);
 * metrics: GET /metrics (with FLEX_METRICS_TOKEN); baseline: GET /healthz, the figure the others
 * are divided by, as this machine's speed varies from run to run.
 */
export type TargetKind = 'page' | 'api' | 'metrics' | 'baseline'

/** Who asks: a session or key of the sample brand, of an operator, the metrics token, or nobody. */
export type TargetCaller = 'brand' | 'operator' | 'metrics' | 'none'

export interface BenchTarget {
  name: string
  kind: TargetKind
  as: TargetCaller
  path: (sample: BenchSample) => string
}

const b = (s: BenchSample) => `/console/${s.brand}`
const v = (s: BenchSample) => `/v1/${s.brand}`
const instants = (start: string, end: string) => `start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`
const range = (s: BenchSample) => instants(s.dayAgo, s.now)
const weekAgo = (s: BenchSample) => instants(s.weekAgoStart, s.weekAgoEnd)

export const benchTargets: readonly BenchTarget[] = [
  { name: 'healthz', kind: 'baseline', as: 'none', path: () => '/healthz' },
  { name: 'metrics', kind: 'metrics', as: 'metrics', path: () => '/metrics' },

  { name: 'overview, every brand', kind: 'page', as: 'operator', path: () => '/console' },
  { name: 'overview of a brand (operator)', kind: 'page', as: 'operator', path: b },
  { name: 'overview of a brand', kind: 'page', as: 'brand', path: b },
  { name: 'exports calendar', kind: 'page', as: 'brand', path: (s) => `${b(s)}/exports` },
  { name: 'export day', kind: 'page', as: 'brand', path: (s) => `${b(s)}/exports/${s.exportDay}` },
  { name: 'export run progress', kind: 'page', as: 'brand', path: (s) => `${b(s)}/exports/runs/${s.exportRun}` },
  { name: 'webhooks', kind: 'page', as: 'brand', path: (s) => `${b(s)}/webhooks` },
  { name: 'delivery log', kind: 'page', as: 'brand', path: (s) => `${b(s)}/webhooks/${s.webhook}` },
  {
    name: 'delivery log, deep page',
    kind: 'page',
    as: 'brand',
    path: (s) => `${b(s)}/webhooks/${s.webhook}?startId=${s.deepStartId}`,
  },
  {
    name: 'delivery log, last 24 h',
    kind: 'page',
    as: 'brand',
    path: (s) => `${b(s)}/webhooks/${s.webhook}?${range(s)}`,
  },
  {
    name: 'delivery log, failures of 24 h',
    kind: 'page',
    as: 'brand',
    path: (s) => `${b(s)}/webhooks/${s.webhook}?status=failure&${range(s)}`,
  },
  {
    name: 'delivery log, an hour a week ago',
    kind: 'page',
    as: 'brand',
    path: (s) => `${b(s)}/webhooks/${s.webhook}?${weekAgo(s)}`,
  },
  {
    name: 'attempt view',
    kind: 'page',
    as: 'brand',
    path: (s) => `${b(s)}/webhooks/${s.webhook}/events/${s.failedEvent}`,
  },
  {
    name: 'bulk retry confirm, 24 h',
    kind: 'page',
    as: 'brand',
    path: (s) => `${b(s)}/webhooks/${s.webhook}/failed-deliveries?${range(s)}`,
  },
  { name: 'ingestion', kind: 'page', as: 'brand', path: (s) => `${b(s)}/ingestion` },
  {
    name: 'ingestion, older transactions rejections',
    kind: 'page',
    as: 'brand',
    path: (s) => `${b(s)}/ingestion?entity=transactions&startId=100`,
  },

  { name: 'exports days', kind: 'api', as: 'brand', path: (s) => `${v(s)}/exports/days` },
  { name: 'export run', kind: 'api', as: 'brand', path: (s) => `${v(s)}/exports/runs/${s.exportRun}` },
  { name: 'webhooks list', kind: 'api', as: 'brand', path: (s) => `${v(s)}/webhooks` },
  { name: 'webhook', kind: 'api', as: 'brand', path: (s) => `${v(s)}/webhooks/${s.webhook}` },
  { name: 'events list', kind: 'api', as: 'brand', path: (s) => `${v(s)}/webhooks/${s.webhook}/events` },
  {
    name: 'events list, deep page',
    kind: 'api',
    as: 'brand',
    path: (s) => `${v(s)}/webhooks/${s.webhook}/events?startId=${s.deepStartId}`,
  },
  {
    name: 'events list, last 24 h',
    kind: 'api',
    as: 'brand',
    path: (s) => `${v(s)}/webhooks/${s.webhook}/events?${range(s)}`,
  },
  {
    name: 'events list, failures of 24 h',
    kind: 'api',
    as: 'brand',
    path: (s) => `${v(s)}/webhooks/${s.webhook}/events?status=failure&${range(s)}`,
  },
  {
    name: 'events list, pending',
    kind: 'api',
    as: 'brand',
    path: (s) => `${v(s)}/webhooks/${s.webhook}/events?status=pending`,
  },
  {
    name: 'events list, an hour a week ago',
    kind: 'api',
    as: 'brand',
    path: (s) => `${v(s)}/webhooks/${s.webhook}/events?${weekAgo(s)}`,
  },
  {
    name: 'event detail',
    kind: 'api',
    as: 'brand',
    path: (s) => `${v(s)}/webhooks/${s.webhook}/events/${s.failedEvent}`,
  },
  { name: 'webhooks health', kind: 'api', as: 'brand', path: (s) => `${v(s)}/webhooks/health` },
  { name: 'webhooks activity', kind: 'api', as: 'brand', path: (s) => `${v(s)}/webhooks/activity?hours=24` },
  {
    name: 'webhook activity',
    kind: 'api',
    as: 'brand',
    path: (s) => `${v(s)}/webhooks/activity?hours=24&webhookId=${s.webhook}`,
  },
  {
    name: 'failed deliveries count',
    kind: 'api',
    as: 'brand',
    path: (s) => `${v(s)}/webhooks/${s.webhook}/failed-deliveries/count?${range(s)}`,
  },
  { name: 'waiting references', kind: 'api', as: 'brand', path: (s) => `${v(s)}/waiting-references` },
  { name: 'ingestion summary', kind: 'api', as: 'brand', path: (s) => `${v(s)}/ingestion/summary` },
  { name: 'ingestion rejections', kind: 'api', as: 'brand', path: (s) => `${v(s)}/ingestion/rejections` },
  {
    name: 'ingestion rejections, older transactions',
    kind: 'api',
    as: 'brand',
    path: (s) => `${v(s)}/ingestion/rejections?entity=transactions&startId=100`,
  },
]
