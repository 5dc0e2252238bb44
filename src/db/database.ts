import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

// Table types for Kysely. Timestamps are read as Date and written as Date or ISO strings;
// numeric and date columns are read as strings (see types.ts) so no value goes through a float
// or the process's timezone.

type Timestamp = ColumnType<Date, Date | string, Date | string>
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type Numeric = ColumnType<string, string | number, string | number>
type DateOnly = ColumnType<string, string, string>
// jsonb columns with a database default: the insert type allows undefined, so Kysely makes them
// optional on insert (Generated<> cannot wrap a ColumnType).
type Json = ColumnType<
  Record<string, unknown>,
  string | Record<string, unknown> | undefined,
  string | Record<string, unknown>
>

interface Tracked {
  created_at: CreatedAt
  updated_at: UpdatedAt
}

export interface BrandsTable extends Tracked {
  id: string
  name: string
  timezone: string
}

export interface CustomersTable extends Tracked {
  brand_id: string
  id: string
  email: string | null
  phone: string | null
  first_name: string | null
  last_name: string | null
  birth_date: DateOnly | null
  email_consent: Generated<boolean>
  sms_consent: Generated<boolean>
  attributes: Json
  source_updated_at: Timestamp | null
  deleted_at: Timestamp | null
  content_hash: ColumnType<string | null, string | null | undefined, string | null>
}

export interface ProductsTable extends Tracked {
  brand_id: string
  id: string
  name: string
  category: string | null
  price: Numeric | null
  currency: string | null
  attributes: Json
  source_updated_at: Timestamp | null
  content_hash: ColumnType<string | null, string | null | undefined, string | null>
}

export interface GroupsTable extends Tracked {
  brand_id: string
  id: string
  name: string
  kind: 'national' | 'regional' | 'custom'
  parent_group_id: string | null
  source_updated_at: Timestamp | null
  content_hash: ColumnType<string | null, string | null | undefined, string | null>
}

export interface OutletsTable extends Tracked {
  brand_id: string
  id: string
  name: string
  group_id: string | null
  address: string | null
  city: string | null
  country: string | null
  source_updated_at: Timestamp | null
  content_hash: ColumnType<string | null, string | null | undefined, string | null>
}

export interface TransactionsTable extends Tracked {
  brand_id: string
  id: string
  customer_id: string | null
  outlet_id: string | null
  occurred_at: Timestamp
  status: string
  currency: string
  total_amount: Numeric
  source_updated_at: Timestamp | null
  content_hash: ColumnType<string | null, string | null | undefined, string | null>
}

export interface TransactionItemsTable {
  brand_id: string
  transaction_id: string
  line_no: number
  sku: string
  quantity: Numeric
  unit_price: Numeric
  amount: Numeric
}

export interface CustomerEventsTable extends Tracked {
  brand_id: string
  id: string
  customer_id: string
  event_type: string
  occurred_at: Timestamp
  properties: Json
  content_hash: ColumnType<string | null, string | null | undefined, string | null>
  source_updated_at: Timestamp | null
}

export type Channel = 'email' | 'sms' | 'push'

export interface CampaignsTable extends Tracked {
  brand_id: string
  id: string
  name: string
  channel: Channel
  status: 'draft' | 'scheduled' | 'running' | 'completed' | 'cancelled'
  subject: string | null
  scheduled_at: Timestamp | null
  started_at: Timestamp | null
  ended_at: Timestamp | null
  budget: Numeric | null
  currency: string | null
}

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'opened' | 'clicked' | 'converted' | 'bounced' | 'failed'

export interface CampaignMessagesTable extends Tracked {
  brand_id: string
  campaign_id: string
  customer_id: string
  channel: Channel
  status: MessageStatus
  sent_at: Timestamp | null
  delivered_at: Timestamp | null
  opened_at: Timestamp | null
  clicked_at: Timestamp | null
  converted_at: Timestamp | null
  attributed_revenue: Numeric | null
  currency: string | null
}

export interface CampaignSkusTable extends Tracked {
  brand_id: string
  campaign_id: string
  sku: string
  role: 'featured' | 'discounted' | 'recommended'
  discount_percent: Numeric | null
}

export interface OptOutsTable extends Tracked {
  brand_id: string
  id: string
  customer_id: string
  channel: Channel | 'all'
  opted_out_at: Timestamp
  source: 'unsubscribe_link' | 'sms_stop' | 'preference_center' | 'support' | 'import'
  campaign_id: string | null
}

export interface LinksTable extends Tracked {
  brand_id: string
  id: string
  campaign_id: string
  url: string
}

export interface LinkDailyStatsTable extends Tracked {
  brand_id: string
  link_id: string
  stat_date: DateOnly
  clicks: number
  unique_clicks: number
}

export interface ExportRunsTable {
  id: string
  brand_id: string
  date: DateOnly
  status: 'running' | 'succeeded' | 'failed'
  trigger: 'manual' | 'schedule' | 'backfill'
  destination: string
  files: ColumnType<number, number | undefined, number>
  /** bigint: read as a string. */
  rows: ColumnType<string, number | undefined, number>
  bytes: ColumnType<string, number | undefined, number>
  quarantined_rows: ColumnType<string, number | undefined, number>
  started_at: ColumnType<Date, Date | string | undefined, Date | string>
  ended_at: Timestamp | null
  error: string | null
  /** A succeeded run's manifest as written, and its path relative to the destination root (0013). */
  manifest_path: ColumnType<string | null, string | null | undefined, string | null>
  manifest: ColumnType<unknown, string | null | undefined, string | null>
  /** Progress while it runs (0018): the files it will write (null before 0018), written so far, rows so far. */
  files_total: ColumnType<number | null, number | null | undefined, number | null>
  files_written: ColumnType<number, number | undefined, number>
  rows_written: ColumnType<string, number | undefined, number>
  /** When the run last reported progress (its start, a file, a chunk of rows, its end). */
  progress_at: ColumnType<Date, Date | string | undefined, Date | string>
}

/** A reference whose entity has not arrived yet; it is deleted when the entity arrives. */
export interface WaitingReferencesTable {
  brand_id: string
  source_type: string
  source_id: string
  field: string
  target_type: string
  target_id: string
  waiting_since: ColumnType<Date, Date | string | undefined, never>
}

export interface OutboxEventsTable {
  id: string
  brand_id: string
  event_type: string
  entity_type: string
  entity_id: string
  created_at: ColumnType<Date, Date | string | undefined, never>
}

export interface ApiKeysTable {
  id: string
  /** The brand the key belongs to; null for an operator key, which may act for every brand. */
  brand_id: string | null
  operator: ColumnType<boolean, boolean | undefined, never>
  key_hash: string
  /** Set when the key requires HMAC-signed requests. */
  signing_secret: string | null
  created_at: ColumnType<Date, Date | string | undefined, never>
  revoked_at: Timestamp | null
}

/** A console sign-in (migrations/0015): the session token's hash, its key, its CSRF token. */
export interface ConsoleSessionsTable {
  token_hash: string
  api_key_id: string
  csrf_token: string
  created_at: ColumnType<Date, Date | string | undefined, never>
  expires_at: ColumnType<Date, Date | string, never>
}

export interface RequestSignaturesTable {
  signature: string
  seen_at: ColumnType<Date, Date | string | undefined, never>
}

export interface IdempotencyKeysTable {
  brand_id: string
  key: string
  request_hash: string
  outcomes: ColumnType<unknown, string, string>
  created_at: ColumnType<Date, Date | string | undefined, never>
}

export interface WebhooksTable extends Tracked {
  id: string
  brand_id: string
  endpoint: string
  /** Sorted, without repeats: the same set in any order is the same value. */
  event_types: string[]
  enabled: Generated<boolean>
  /** `whsec_` + base64 of 32 random bytes (Standard Webhooks). */
  signing_secret: string
  /** Header name -> value, sent with every delivery to this webhook. */
  headers: ColumnType<Record<string, string>, string | undefined, string>
  /** Why the platform disabled it (410 Gone, days without success); null when enabled or disabled by the brand. */
  disabled_reason: ColumnType<string | null, string | null | undefined, string | null>
  /** The secret before the last rotation: it keeps signing beside the new one until it expires. */
  previous_signing_secret: ColumnType<string | null, string | null | undefined, string | null>
  previous_secret_expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  /** The first failed attempt since the last success; null while the endpoint answers. */
  failing_since: ColumnType<Date | null, Date | null | undefined, Date | null>
}

/** An event some webhook wants, and the body every attempt sends once it is rendered. */
export interface WebhookMessagesTable {
  event_id: string
  brand_id: string
  event_type: string
  entity_type: string
  entity_id: string
  occurred_at: Date
  /** The delivery body, rendered once; null until then, and after a customer's erasure. */
  body: string | null
  erased_at: Date | null
}

/** One event to one webhook: its state and schedule. */
export interface WebhookDeliveriesTable extends Tracked {
  webhook_id: string
  event_id: string
  brand_id: string
  /** The event's type and time, as in webhook_messages: kept here for the delivery log's filters (migration 0017). */
  event_type: string
  occurred_at: Date
  attempts: Generated<number>
  first_attempt_at: Date | null
  last_attempt_at: Date | null
  succeeded_at: Date | null
  /** When the next attempt is due; null when none is (succeeded, given up, cancelled). */
  next_attempt_at: Date | null
  lease_token: string | null
  lease_expires_at: Date | null
}

/** One HTTP attempt of a delivery, as sent (secrets masked) and as answered. */
export interface WebhookAttemptsTable {
  id: string
  webhook_id: string
  event_id: string
  started_at: Date
  succeeded: boolean
  request: ColumnType<AttemptRequest, string, never>
  response: ColumnType<AttemptResponse | null, string | null, never>
  error: ColumnType<AttemptError | null, string | null, never>
  duration_ms: number
}

export interface AttemptRequest {
  endpoint: string
  headers: Record<string, string>
}

export interface AttemptResponse {
  statusCode: number
  headers: Record<string, string>
  body: string
  bodyTruncated: boolean
}

export interface AttemptError {
  kind: string
  message: string
}

/** An event a brand's upstream system published (POST /v1/{brandId}/events), under its own id. */
export interface PublishedEventsTable {
  brand_id: string
  /** The caller's event id: the idempotency key, per brand. */
  event_id: string
  event_type: string
  /** The event's payload as published (checked against its type's schema). */
  data: ColumnType<unknown, string, never>
  received_at: ColumnType<Date, Date | string | undefined, never>
}

/** Records ingested per brand, UTC hour, entity type and outcome (0016). */
export interface IngestionCountsTable {
  brand_id: string
  hour: ColumnType<Date, Date | string, never>
  entity_type: string
  outcome: string
  /** bigint: read as text. */
  records: ColumnType<string, number | string, number | string>
}

/** One of the newest rejected records of a brand, in its slot of the brand's ring (0016). */
export interface IngestionRejectionsTable {
  brand_id: string
  slot: number
  /** The brand's rejections counted from 1 (bigint: read as text). */
  seq: ColumnType<string, number | string, number | string>
  entity_type: string
  record_id: string | null
  source: 'api' | 'file'
  /** [{ field, rule, message }], the first few of the record's errors. */
  errors: ColumnType<unknown, string, string>
  error_count: number
  rejected_at: ColumnType<Date, Date | string | undefined, Date | string | undefined>
}

export interface Database {
  brands: BrandsTable
  customers: CustomersTable
  products: ProductsTable
  groups: GroupsTable
  outlets: OutletsTable
  transactions: TransactionsTable
  transaction_items: TransactionItemsTable
  customer_events: CustomerEventsTable
  campaigns: CampaignsTable
  campaign_messages: CampaignMessagesTable
  campaign_skus: CampaignSkusTable
  opt_outs: OptOutsTable
  links: LinksTable
  link_daily_stats: LinkDailyStatsTable
  export_runs: ExportRunsTable
  waiting_references: WaitingReferencesTable
  outbox_events: OutboxEventsTable
  api_keys: ApiKeysTable
  console_sessions: ConsoleSessionsTable
  idempotency_keys: IdempotencyKeysTable
  request_signatures: RequestSignaturesTable
  webhooks: WebhooksTable
  webhook_messages: WebhookMessagesTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_attempts: WebhookAttemptsTable
  published_events: PublishedEventsTable
  ingestion_counts: IngestionCountsTable
  ingestion_rejections: IngestionRejectionsTable
}

export type Brand = Selectable<BrandsTable>
export type NewCampaign = Insertable<CampaignsTable>
export type NewCampaignMessage = Insertable<CampaignMessagesTable>
