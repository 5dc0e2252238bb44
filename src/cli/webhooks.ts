import type { Kysely } from 'kysely'
import type { z } from 'zod'
import { getBrand } from '../brands/brand-repository.ts'
import type { Database } from '../db/database.ts'
import { exitCodes, FlexError } from '../errors.ts'
import type { webhookEventAttempt } from '../http/response-schemas.ts'
import { attemptAnswer, eventDetailAnswer, eventSummaryAnswer, webhookAnswer } from '../http/webhook-answers.ts'
import { uuidPattern } from '../uuid-pattern.ts'
import { findWebhookEvent, listWebhookEvents, retryDelivery } from '../webhooks/delivery-history.ts'
import { AllowedNetworks } from '../webhooks/endpoint-url.ts'
import { parseEventPageQuery } from '../webhooks/event-page-request.ts'
import { WebhookSender } from '../webhooks/send-webhook-request.ts'
import { sendTestEvent } from '../webhooks/test-event.ts'
import {
  createWebhook,
  deleteWebhook,
  findWebhook,
  listWebhooks,
  type NewWebhook,
  rotateWebhookSecret,
  setWebhookEnabled,
  type Webhook,
  webhookSecret,
} from '../webhooks/webhook-repository.ts'
import { parseWebhookRequest } from '../webhooks/webhook-request.ts'
import { type CommandContext, defineCommand, jsonOption, usageError, withDatabase } from './command.ts'

// `flex webhooks`: the webhooks API of docs/webhooks.md on the command line, for operators and
// scripts. The same rules and messages as the API (the same parsers, repository and history
// functions); with --json the API's answer shapes. A broken rule exits 2 with one line per field
// under the message, named by its option.

const options = {
  brand: { type: 'string' },
  endpoint: { type: 'string' },
  event: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  disabled: { type: 'boolean' },
  size: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  'start-id': { type: 'string' },
  ...jsonOption,
} as const

type OptionName = keyof typeof options
type Values = {
  brand?: string | undefined
  endpoint?: string | undefined
  event?: string[] | undefined
  header?: string[] | undefined
  disabled?: boolean | undefined
  size?: string | undefined
  start?: string | undefined
  end?: string | undefined
  'start-id'?: string | undefined
  json?: boolean | undefined
}

interface Invocation {
  values: Values
  brandId: string
  /** The positionals after the action, checked against the action's. */
  args: string[]
  db: Kysely<Database>
  context: CommandContext
}

interface Action {
  /** Positionals after the action. */
  readonly positionals: readonly string[]
  /** Optional positionals after those. */
  readonly optional?: readonly string[]
  /** Options besides --brand and --json. */
  readonly options: readonly OptionName[]
  run(invocation: Invocation): Promise<number>
}

const actions: Record<string, Action> = {
  create: { positionals: [], options: ['endpoint', 'event', 'header', 'disabled'], run: create },
  list: { positionals: [], options: [], run: list },
  enable: { positionals: ['ID'], options: [], run: (i) => setEnabled(i, true) },
  disable: { positionals: ['ID'], options: [], run: (i) => setEnabled(i, false) },
  delete: { positionals: ['ID'], options: [], run: remove },
  test: { positionals: ['ID'], options: [], run: test },
  events: { positionals: ['ID'], optional: ['EVENT_ID'], options: ['size', 'start', 'end', 'start-id'], run: events },
  retry: { positionals: ['ID', 'EVENT_ID'], options: [], run: retry },
  secret: { positionals: ['ID'], options: [], run: secret },
  'rotate-secret': { positionals: ['ID'], options: [], run: rotateSecret },
}

export const webhooksCommand = defineCommand({
  name: 'webhooks',
  summary: 'create, list, test and manage webhooks, their events and secrets',
  help: `Usage:
  flex webhooks create --brand B --endpoint URL --event TYPE [--event TYPE ...]
                       [--header 'Name: value' ...] [--disabled] [--json]
  flex webhooks list --brand B [--json]
  flex webhooks enable|disable|delete --brand B ID [--json]
  flex webhooks test --brand B ID [--json]
  flex webhooks events --brand B ID [--size N] [--start T] [--end T] [--start-id EVENT_ID] [--json]
  flex webhooks events --brand B ID EVENT_ID [--json]
  flex webhooks retry --brand B ID EVENT_ID [--json]
  flex webhooks secret|rotate-secret --brand B ID [--json]

The webhooks API of docs/webhooks.md, with the same rules and messages; --json prints the API's
answers. ID is a webhook id (create and list print it), EVENT_ID an event id (events prints them).

create         a webhook for an https endpoint (plain http and non-public addresses only inside
               FLEX_WEBHOOK_ALLOW_NETWORKS) and 1 to 100 event types or prefixes of types
               (ORDER_EVENTS receives every type below it); --header adds a header sent with
               every delivery; --disabled creates it turned off. Prints its id and signing secret.
list           the brand's webhooks, oldest first.
enable|disable turns a webhook on or off; delete removes it and cancels its pending deliveries.
test           sends one signed WEBHOOK.TEST event now (enabled or not) and prints the attempt.
events         the events sent to a webhook, newest first, a page of --size (1 to 100, default 20);
               --start and --end (date-times with an offset, such as 2026-11-30T09:00:00Z) bound
               when they happened; --start-id continues after the last event of a page. With an
               EVENT_ID, that event and every attempt.
retry          makes the event due again: a running flex deliver sends it once more soon.
secret         prints the signing secret; rotate-secret makes a new one, and the old one keeps
               signing beside it for 24 hours.

Exit codes: 0 done; 1 a failure (the database, or the test event's attempt failed); 2 bad
arguments, a rule broken (each field on its own line), an unknown brand, webhook or event.`,
  options,
  allowPositionals: true,
  async run({ values, positionals }, context) {
    const [name, ...args] = positionals
    const action = name === undefined ? undefined : actions[name]
    if (action === undefined) {
      const known = Object.keys(actions).join(', ')
      throw usageError(
        'webhooks',
        name === undefined ? `say one of ${known}` : `unknown action "${name}" (use ${known})`,
      )
    }
    const all = [...action.positionals, ...(action.optional ?? [])]
    if (args.length < action.positionals.length) {
      throw usageError('webhooks', `${name} needs ${action.positionals.join(' and ')}`)
    }
    if (args.length > all.length) throw usageError('webhooks', `unexpected argument "${args[all.length]}"`)
    for (const option of Object.keys(values) as OptionName[]) {
      if (option !== 'brand' && option !== 'json' && !action.options.includes(option)) {
        throw usageError('webhooks', `--${option} is not an option of ${name}`)
      }
    }
    if (!values.brand) throw usageError('webhooks', `${name} needs --brand`)
    const brandId = values.brand
    if (name === 'events' && args.length > 1 && action.options.some((option) => values[option] !== undefined)) {
      throw usageError(
        'webhooks',
        'events with an EVENT_ID shows that event; --size, --start, --end and --start-id page the list',
      )
    }
    return withDatabase(context, async ({ db }) => {
      await getBrand(db, brandId)
      return action.run({ values, brandId, args, db, context })
    })
  },
})

/**
 * The webhook that create's options describe, checked by the API's rules (parseWebhookRequest);
 * an INVALID_WEBHOOK error naming each broken rule by its option (--endpoint, --event, --header
 * NAME) otherwise, all at once.
 */
export function webhookFromOptions(
  values: Pick<Values, 'endpoint' | 'event' | 'header' | 'disabled'>,
  allowed: AllowedNetworks,
): NewWebhook {
  // A Map, then fromEntries: a header named __proto__ stays a header, as JSON.parse keeps it in the API.
  const headers = new Map<string, string>()
  const problems: Record<string, string> = {}
  for (const line of values.header ?? []) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim()
    if (colon < 1 || name === '') {
      problems['--header'] = `give each header as 'Name: value', not ${JSON.stringify(line)}`
    } else if ([...headers.keys()].some((known) => known.toLowerCase() === name.toLowerCase())) {
      problems[`--header ${name}`] = 'given twice; give each header once'
    } else headers.set(name, line.slice(colon + 1).trim())
  }
  let webhook: NewWebhook | undefined
  try {
    webhook = parseWebhookRequest(
      {
        endpoint: values.endpoint,
        events: values.event,
        enabled: !values.disabled,
        headers: Object.fromEntries(headers),
      },
      allowed,
    )
  } catch (error) {
    if (!(error instanceof FlexError) || error.validations === undefined) throw error
    Object.assign(problems, optionNames(error.validations))
  }
  if (webhook === undefined || Object.keys(problems).length > 0) {
    throw new FlexError('INVALID_WEBHOOK', 'the webhook breaks these rules; fix them and run the command again:', {
      validations: problems,
    })
  }
  return webhook
}

async function create({ values, brandId, db, context }: Invocation): Promise<number> {
  const webhook = webhookFromOptions(values, new AllowedNetworks(context.config.FLEX_WEBHOOK_ALLOW_NETWORKS))
  const result = await createWebhook(db, brandId, webhook)
  if ('duplicate' in result) {
    throw new FlexError(
      'WEBHOOK_EXISTS',
      `A webhook for endpoint: ${webhook.endpoint} and eventTypes: ${JSON.stringify(result.events)} already exists; flex webhooks list --brand ${brandId} shows it`,
    )
  }
  const { created } = result
  if (values.json) context.print(JSON.stringify({ ...webhookAnswer(created), secret: result.secret }))
  else {
    context.print(`webhook id:     ${created.id}`)
    context.print(`endpoint:       ${created.endpoint}`)
    context.print(`events:         ${created.events.join(', ')}`)
    context.print(`enabled:        ${created.enabled ? 'yes' : 'no'}`)
    context.print(`signing secret: ${result.secret}`)
    context.print(`Verify each delivery with the secret; flex webhooks secret --brand ${brandId} ID shows it again.`)
  }
  return exitCodes.ok
}

/** The API's field names as the options that set them (headers.X-Token -> --header X-Token). */
function optionNames(validations: Record<string, string>): Record<string, string> {
  const option: Record<string, string> = { events: '--event', headers: '--header', enabled: '--disabled' }
  return Object.fromEntries(
    Object.entries(validations).map(([field, rule]) => [
      field.startsWith('headers.') ? `--header ${field.slice('headers.'.length)}` : (option[field] ?? `--${field}`),
      rule,
    ]),
  )
}

async function list({ values, brandId, db, context }: Invocation): Promise<number> {
  const webhooks = await listWebhooks(db, brandId)
  if (values.json) context.print(JSON.stringify(webhooks.map(webhookAnswer)))
  else if (webhooks.length === 0) {
    context.print(
      `no webhooks for brand ${brandId}; create one with: flex webhooks create --brand ${brandId} --endpoint URL --event TYPE`,
    )
  } else for (const webhook of webhooks) context.print(webhookLine(webhook))
  return exitCodes.ok
}

function webhookLine(webhook: Webhook): string {
  const state = webhook.enabled ? 'enabled' : `disabled${webhook.disabledReason ? ` (${webhook.disabledReason})` : ''}`
  return `${webhook.id}\t${state}\t${webhook.endpoint}\t${webhook.events.join(',')}`
}

/** The webhook id argument; an id that is not a uuid names no webhook (as the API's 404). */
async function existingWebhook({ args, brandId, db }: Invocation): Promise<Webhook> {
  const id = args[0] ?? ''
  const webhook = uuidPattern.test(id) ? await findWebhook(db, brandId, id.toLowerCase()) : undefined
  if (webhook === undefined) unknownWebhook(brandId, id)
  return webhook
}

function unknownWebhook(brandId: string, id: string): never {
  throw new FlexError(
    'NOT_FOUND',
    `no webhook ${id} for brand ${brandId}; flex webhooks list --brand ${brandId} lists the brand's webhooks`,
  )
}

async function setEnabled(invocation: Invocation, enabled: boolean): Promise<number> {
  const { brandId, db, context, values } = invocation
  const { id } = await existingWebhook(invocation)
  if (!(await setWebhookEnabled(db, brandId, id, enabled))) unknownWebhook(brandId, id)
  const webhook = await findWebhook(db, brandId, id)
  if (webhook === undefined) unknownWebhook(brandId, id)
  context.print(
    values.json ? JSON.stringify(webhookAnswer(webhook)) : `webhook ${id} ${enabled ? 'enabled' : 'disabled'}`,
  )
  return exitCodes.ok
}

async function remove(invocation: Invocation): Promise<number> {
  const { brandId, db, context, values } = invocation
  const { id } = await existingWebhook(invocation)
  if (!(await deleteWebhook(db, brandId, id))) unknownWebhook(brandId, id)
  context.print(values.json ? JSON.stringify({ id, deleted: true }) : `webhook ${id} deleted`)
  return exitCodes.ok
}

async function test(invocation: Invocation): Promise<number> {
  const { brandId, db, context, values } = invocation
  const { id } = await existingWebhook(invocation)
  const sender = new WebhookSender({ allowed: new AllowedNetworks(context.config.FLEX_WEBHOOK_ALLOW_NETWORKS) })
  let sent: Awaited<ReturnType<typeof sendTestEvent>>
  try {
    sent = await sendTestEvent(db, sender, brandId, id)
  } finally {
    await sender.close()
  }
  if (sent === undefined) unknownWebhook(brandId, id)
  const attempt = attemptAnswer(sent.attempt)
  if (values.json) context.print(JSON.stringify({ eventId: sent.eventId, ...attempt }))
  else context.print(`test event ${sent.eventId}: ${attemptLine(attempt)}`)
  if (attempt.status === 'SUCCESS') return exitCodes.ok
  throw new FlexError(
    'WEBHOOK_TEST_FAILED',
    `the test event's attempt failed (${attempt.error ? attempt.error.kind : `status ${attempt.response?.statusCode}`}); the endpoint must answer 2xx within 10 s. Fix it and test again`,
  )
}

/** One attempt in a line: SUCCESS 200 in 12 ms, FAILURE 500 in 3 ms: body, FAILURE refused: message. */
function attemptLine(attempt: z.infer<typeof webhookEventAttempt>): string {
  const { response, error } = attempt
  const parts: string[] = [attempt.status]
  if (response) parts.push(`${response.statusCode} in ${response.time} ms`)
  if (error) parts.push(`${error.kind} after ${error.time} ms: ${error.message}`)
  else if (response && attempt.status === 'FAILURE' && response.body !== '') {
    parts.push(
      `answered ${JSON.stringify(response.body.length > 200 ? `${response.body.slice(0, 200)}…` : response.body)}`,
    )
  }
  return parts.join(', ')
}

async function events(invocation: Invocation): Promise<number> {
  const { brandId, db, context, values, args } = invocation
  const { id } = await existingWebhook(invocation)
  const eventId = args[1]
  if (eventId !== undefined) {
    const event = uuidPattern.test(eventId) ? await findWebhookEvent(db, id, eventId.toLowerCase()) : undefined
    if (event === undefined) unknownEvent(brandId, id, eventId)
    const answer = eventDetailAnswer(event)
    if (values.json) context.print(JSON.stringify(answer))
    else {
      const next = answer.erased
        ? 'erased'
        : answer.nextAttempt
          ? `next attempt ${answer.nextAttempt}`
          : 'no next attempt'
      context.print(`${answer.id}\t${answer.type}\t${answer.status}\t${answer.created}\t${next}`)
      for (const attempt of answer.attempts) context.print(`  ${attempt.created}\t${attemptLine(attempt)}`)
    }
    return exitCodes.ok
  }
  const query = parseEventPageQueryOrExplain({
    size: values.size,
    start: values.start,
    end: values.end,
    startId: values['start-id'],
  })
  const page = await listWebhookEvents(db, id, query)
  if (values.json) {
    context.print(
      JSON.stringify({
        events: page.events.map(eventSummaryAnswer),
        page: { size: query.size, startId: query.startId ?? null, lastId: page.lastId },
      }),
    )
    return exitCodes.ok
  }
  if (page.events.length === 0) context.print(`no events ${query.startId ? 'older than that ' : ''}for webhook ${id}`)
  for (const event of page.events.map(eventSummaryAnswer)) {
    context.print(`${event.id}\t${event.type}\t${event.status}\t${event.created}\t${event.nextAttempt ?? '-'}`)
  }
  if (page.lastId !== null) {
    context.print(`older events: flex webhooks events --brand ${brandId} ${id} --start-id ${page.lastId}`)
  }
  return exitCodes.ok
}

function parseEventPageQueryOrExplain(query: Record<string, string | undefined>) {
  try {
    return parseEventPageQuery(Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)))
  } catch (error) {
    if (!(error instanceof FlexError) || error.validations === undefined) throw error
    const validations = Object.fromEntries(
      Object.entries(error.validations).map(([field, rule]) => [
        field === 'startId' ? '--start-id' : `--${field}`,
        rule,
      ]),
    )
    throw new FlexError('INVALID_QUERY', 'the query breaks these rules; fix them and run the command again:', {
      validations,
    })
  }
}

function unknownEvent(brandId: string, webhookId: string, eventId: string): never {
  throw new FlexError(
    'NOT_FOUND',
    `no event ${eventId} was sent to webhook ${webhookId}; flex webhooks events --brand ${brandId} ${webhookId} lists its events`,
  )
}

async function retry(invocation: Invocation): Promise<number> {
  const { brandId, db, context, values, args } = invocation
  const webhook = await existingWebhook(invocation)
  const eventId = args[1] ?? ''
  const outcome = uuidPattern.test(eventId)
    ? await retryDelivery(db, webhook.id, eventId.toLowerCase(), new Date())
    : 'not_found'
  if (outcome === 'not_found') unknownEvent(brandId, webhook.id, eventId)
  if (outcome === 'erased') {
    throw new FlexError(
      'EVENT_ERASED',
      `The event ${eventId} cannot be sent again: its customer was deleted and its data erased.`,
    )
  }
  if (outcome === 'test') {
    throw new FlexError(
      'TEST_EVENT_NOT_RETRIED',
      `The event ${eventId} is a test event, which is not sent again; send a new one with: flex webhooks test --brand ${brandId} ${webhook.id}`,
    )
  }
  if (values.json) context.print(JSON.stringify({ webhookId: webhook.id, eventId, queued: true }))
  else {
    context.print(
      webhook.enabled
        ? `event ${eventId} queued: a running flex deliver (or flex serve --deliver) sends it again soon`
        : `event ${eventId} queued: it is sent again once webhook ${webhook.id} is enabled (flex webhooks enable)`,
    )
  }
  return exitCodes.ok
}

async function secret(invocation: Invocation): Promise<number> {
  const { brandId, db, context, values } = invocation
  const { id } = await existingWebhook(invocation)
  const current = await webhookSecret(db, brandId, id)
  if (current === undefined) unknownWebhook(brandId, id)
  context.print(values.json ? JSON.stringify({ secret: current }) : current)
  return exitCodes.ok
}

async function rotateSecret(invocation: Invocation): Promise<number> {
  const { brandId, db, context, values } = invocation
  const { id } = await existingWebhook(invocation)
  const rotated = await rotateWebhookSecret(db, brandId, id)
  if (rotated === undefined) unknownWebhook(brandId, id)
  const previousSecretExpires = rotated.previousSecretExpires.toISOString()
  if (values.json) context.print(JSON.stringify({ secret: rotated.secret, previousSecretExpires }))
  else {
    context.print(`signing secret: ${rotated.secret}`)
    context.print(`The previous secret keeps signing beside it until ${previousSecretExpires}.`)
  }
  return exitCodes.ok
}
