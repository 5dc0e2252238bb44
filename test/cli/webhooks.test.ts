import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { webhookFromOptions } from '../../src/cli/webhooks.ts'
import { FlexError } from '../../src/errors.ts'
import { createdWebhookResponse, webhookEventsPage, webhookTestResponse } from '../../src/http/response-schemas.ts'
import { AllowedNetworks } from '../../src/webhooks/endpoint-url.ts'
import { runSnippet, shellBlocks } from '../support/documented-examples.ts'
import { flexBin, flexDatabaseEnv, flexOutput, runFlex, startFlex } from '../support/flex-process.ts'
import { hostileCharacters, prototypeKeys } from '../support/hostile-values.ts'
import { useTestDatabase } from '../support/test-database.ts'
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts'

// `flex webhooks` as a user runs it: child processes of bin/flex.js against this file's database
// and a real receiver on 127.0.0.1.

const database = useTestDatabase()
/** The longer tests start a dozen processes in turn; on a busy two-core machine each takes a second or two. */
const processTestTimeout = 150_000
let env: Record<string, string>
let receiver: Receiver

beforeAll(async () => {
  env = { ...(await flexDatabaseEnv(database.current)), FLEX_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8' }
  if (database.current.kind === 'pglite') await flexOutput(['migrate'], env)
  for (const brand of ['acme', 'other']) await flexOutput(['brands', 'add', brand, '--timezone', 'UTC'], env)
})

beforeEach(async () => {
  receiver = await startReceiver()
})

afterEach(async () => {
  await receiver.close()
})

function json<T extends z.ZodType>(schema: T, stdout: string): z.infer<T> {
  const parsed = schema.safeParse(JSON.parse(stdout))
  expect(parsed.success ? [] : parsed.error.issues, stdout).toEqual([])
  return parsed.data as z.infer<T>
}

/**
 * Runs the commands at once against a PostgreSQL server; one after another on the embedded
 * database, whose folder one process at a time may open.
 */
async function together<T>(runs: (() => Promise<T>)[]): Promise<T[]> {
  if (database.current.kind !== 'pglite') return Promise.all(runs.map((run) => run()))
  const results: T[] = []
  for (const run of runs) results.push(await run())
  return results
}

const webhooks = (args: string[], extraEnv: Record<string, string> = {}) =>
  runFlex(['webhooks', ...args], { ...env, ...extraEnv })

async function created(endpoint: string, brand = 'acme', events = ['RECEIPTS']) {
  const run = await webhooks([
    'create',
    '--brand',
    brand,
    '--endpoint',
    endpoint,
    ...events.flatMap((e) => ['--event', e]),
    '--json',
  ])
  expect(run.code, run.stderr).toBe(0)
  return json(createdWebhookResponse, run.stdout)
}

describe('flex webhooks', () => {
  it(
    "runs README's commands as written against a receiver: create, a delivered event, a verified test, events, retry, disable, secrets, delete",
    async () => {
      const [createBlock, commandsBlock] = await shellBlocks('README.md', '### Webhooks from the command line')
      expect(createBlock).toContain('https://example.com/webhooks/flex')
      const snippetEnv = { ...env, LOG_LEVEL: 'warn' }
      // `npx flex` runs bin/flex.js directly: npx's own start costs a second a line on a busy machine,
      // and README's "Running the API server" test already shows that `npx flex` finds the command.
      const run = (snippet: string, extra: Record<string, string> = {}) =>
        runSnippet(`npx() { if [ "$1" = flex ]; then shift; fi; node ${flexBin} "$@"; }\n${snippet}`, {
          ...snippetEnv,
          ...extra,
        })
      const create = await run(
        (createBlock ?? '').replace('https://example.com/webhooks/flex', `${receiver.url}/readme`),
      )
      const id = /^webhook id: +(\S+)$/m.exec(create.output)?.[1]
      const secret = /^signing secret: +(whsec_\S+)$/m.exec(create.output)?.[1]
      expect(id && secret, create.output).toBeTruthy()

      // A real event to look at and retry: a customer ingested, delivered by a running flex deliver.
      const customers = path.join(await mkdtemp(path.join(tmpdir(), 'flex-webhooks-cli-')), 'customers.ndjson')
      await writeFile(customers, '{"id":"C-1","updated_at":"2026-11-21T09:30:00+01:00"}\n')
      await flexOutput(['ingest', '--brand', 'acme', '--entity', 'customers', customers], env)
      const deliver = startFlex(['deliver'], { env })
      try {
        await deliver.waitFor('the CUSTOMER.CREATED delivery', () => receiver.requests.length > 0)
      } finally {
        expect(await deliver.stop()).toBe(0)
      }
      const delivered = receiver.requests[0]
      expect(JSON.parse(delivered?.body ?? '{}')).toMatchObject({
        type: 'CUSTOMER.CREATED',
        data: { entity: { id: 'C-1' } },
      })
      expect(delivered?.headers['x-shared-secret']).toBe('change-me')

      // --json prints the API's shapes: the test's attempt, signed so the official library verifies it, and the page.
      const tested = await webhooks(['test', '--brand', 'acme', id ?? '', '--json'])
      expect(tested.code, tested.stderr).toBe(0)
      const attempt = json(webhookTestResponse, tested.stdout)
      expect(attempt).toMatchObject({ status: 'SUCCESS', response: { statusCode: 200 } })
      const testRequest = receiver.requests[1]
      if (!testRequest) throw new Error('the receiver got no test event')
      expect(new StandardWebhook(secret ?? '').verify(testRequest.body, testRequest.headers)).toMatchObject({
        id: attempt.eventId,
        type: 'WEBHOOK.TEST',
        brandId: 'acme',
        data: { webhookId: id },
      })
      const page = json(webhookEventsPage, (await webhooks(['events', '--brand', 'acme', id ?? '', '--json'])).stdout)
      expect(page.events.map((e) => [e.type, e.status])).toEqual([
        ['WEBHOOK.TEST', 'SUCCESS'],
        ['CUSTOMER.CREATED', 'SUCCESS'],
      ])

      const ids = { WEBHOOK_ID: id ?? '', EVENT_ID: delivered?.headers['webhook-id'] ?? '' }
      const outputs: string[] = []
      for (const line of (commandsBlock ?? '').split('\n').filter((l) => l.trim() !== '')) {
        outputs.push((await run(line, ids)).output)
      }
      expect(outputs).toHaveLength(9)
      const [list, test, events, event, retry, disable, shownSecret, rotated, deleted] = outputs
      expect(list).toContain(`${id}\tenabled\t${receiver.url}/readme\tCUSTOMER,ORDER_EVENTS`)
      expect(test).toMatch(/^test event \S+: SUCCESS, 200 in \d+ ms\n$/)
      expect(receiver.requests.map((r) => JSON.parse(r.body).type)).toEqual([
        'CUSTOMER.CREATED',
        'WEBHOOK.TEST',
        'WEBHOOK.TEST',
      ])
      expect(events?.split('\n').map((line) => line.split('\t').slice(1, 3))).toEqual([
        ['WEBHOOK.TEST', 'SUCCESS'],
        ['WEBHOOK.TEST', 'SUCCESS'],
        ['CUSTOMER.CREATED', 'SUCCESS'],
        [],
      ])
      expect(event).toMatch(
        new RegExp(`^${ids.EVENT_ID}\tCUSTOMER\\.CREATED\tSUCCESS\t.*\n {2}\\S+\tSUCCESS, 200 in \\d+ ms\n$`),
      )
      expect(retry).toContain(`event ${ids.EVENT_ID} queued`)
      expect(disable).toBe(`webhook ${id} disabled\n`)
      expect(shownSecret).toBe(`${secret}\n`)
      expect(rotated).toMatch(/^signing secret: whsec_\S+\nThe previous secret keeps signing beside it until 20/)
      expect(deleted).toBe(`webhook ${id} deleted\n`)
    },
    processTestTimeout,
  )

  it('exits 1 when the test event fails, printing the attempt (a refused endpoint names the error), and 2 on a retry of it', async () => {
    receiver.answer((_request, res) => {
      res.writeHead(500).end('no thanks')
    })
    const [failing, refusedHook] = await together([
      () => created(`${receiver.url}/failing`),
      () => created('http://127.0.0.1:9/refused'),
    ])
    if (!failing || !refusedHook) throw new Error('not created')
    const [failed, refused] = await together([
      () => webhooks(['test', '--brand', 'acme', failing.id]),
      () => webhooks(['test', '--brand', 'acme', refusedHook.id, '--json']),
    ])
    if (!failed || !refused) throw new Error('not run')
    expect(failed.code).toBe(1)
    expect(failed.stdout).toMatch(/^test event \S+: FAILURE, 500 in \d+ ms, answered "no thanks"\n$/)
    expect(failed.stderr).toMatch(/^flex webhooks: the test event's attempt failed \(status 500\)/)
    expect(refused.code).toBe(1)
    expect(json(webhookTestResponse, refused.stdout)).toMatchObject({ status: 'FAILURE', error: { kind: 'refused' } })
    expect(refused.stderr).toMatch(/attempt failed \(refused\)/)

    const { eventId } = json(webhookTestResponse, refused.stdout)
    const retried = await webhooks(['retry', '--brand', 'acme', refusedHook.id, eventId])
    expect(retried).toMatchObject({ code: 2, stdout: '' })
    expect(retried.stderr).toBe(
      `flex webhooks: The event ${eventId} is a test event, which is not sent again; send a new one with: flex webhooks test --brand acme ${refusedHook.id}\n`,
    )
  })

  it(
    'exits 2 for a broken rule, naming each one by its option on its own line, and for unknown brands, webhooks and events; an empty list is no error',
    async () => {
      const hook = await created(`${receiver.url}/rules`)
      const uuid = '0193a5b2-0000-7000-8000-000000000001'
      const cases: [string[], Record<string, string>, string[]][] = [
        [
          ['create', '--brand', 'acme'],
          {},
          [
            'flex webhooks: the webhook breaks these rules; fix them and run the command again:',
            '  --endpoint: endpoint is required',
            '  --event: events is required',
          ],
        ],
        [
          ['create', '--brand', 'acme', '--endpoint', 'http://10.0.0.7/h', '--event', 'NOPE', '--header', 'Host: x'],
          { FLEX_WEBHOOK_ALLOW_NETWORKS: '' },
          [
            'flex webhooks: the webhook breaks these rules; fix them and run the command again:',
            expect.stringMatching(/^ {2}--endpoint: .*10\.0\.0\.7 is not a public address \(private\)/),
            expect.stringMatching(/^ {2}--event: unknown event type "NOPE"/),
            '  --header Host: set by the platform on every delivery; choose another name',
          ],
        ],
        [
          ['create', '--brand', 'acme', '--endpoint', hook.endpoint, '--event', 'RECEIPTS'],
          {},
          [
            expect.stringMatching(
              /^flex webhooks: A webhook for endpoint: .* and eventTypes: \["RECEIPTS"\] already exists/,
            ),
          ],
        ],
        [
          ['events', '--brand', 'acme', hook.id, '--size', '0', '--end', 'tomorrow'],
          {},
          [
            'flex webhooks: the query breaks these rules; fix them and run the command again:',
            '  --size: size must be a whole number from 1 to 100',
            '  --end: end must be a date-time with an offset, such as 2026-11-30T09:00:00Z',
          ],
        ],
        [['list', '--brand', 'nobody'], {}, ['flex webhooks: no brand "nobody"; list brands with: flex brands list']],
        [['test', '--brand', 'other', hook.id], {}, [expect.stringContaining(`no webhook ${hook.id} for brand other`)]],
        [['retry', '--brand', 'acme', hook.id, uuid], {}, [expect.stringContaining(`no event ${uuid} was sent`)]],
        [['list'], {}, [expect.stringContaining('list needs --brand')]],
        [
          ['list', '--brand', 'acme', '--endpoint', 'x'],
          {},
          [expect.stringContaining('--endpoint is not an option of list')],
        ],
      ]
      const [human, machine, ...runs] = await together([
        () => webhooks(['list', '--brand', 'other']),
        () => webhooks(['list', '--brand', 'other', '--json']),
        ...cases.map(
          ([args, extra]) =>
            () =>
              webhooks(args, extra),
        ),
      ])
      // A brand without webhooks is no error here (the API's 404 is seed 002's): a hint, or [].
      expect(human).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/^no webhooks for brand other; create one/),
      })
      expect(machine).toMatchObject({ code: 0, stdout: '[]\n' })
      for (const [index, [args, , lines]] of cases.entries()) {
        const run = runs[index]
        expect(run?.code, args.join(' ')).toBe(2)
        expect(run?.stdout, args.join(' ')).toBe('')
        expect(run?.stderr.trimEnd().split('\n'), args.join(' ')).toEqual(lines)
      }
      // Nothing was sent to the webhook of the brand that owns it.
      expect(receiver.requests).toEqual([])
    },
    processTestTimeout,
  )
})

describe('webhookFromOptions', () => {
  const headerLine = fc.oneof(
    fc.string({ maxLength: 20, unit: 'binary' }),
    fc
      .tuple(
        fc.oneof(fc.constantFrom(...prototypeKeys, 'X-Token', 'x-token', 'Host', ''), fc.string({ maxLength: 8 })),
        fc.oneof(fc.constantFrom(...hostileCharacters, ' value ', ''), fc.string({ maxLength: 8, unit: 'binary' })),
      )
      .map(([name, value]) => `${name}:${value}`),
  )
  const options = fc.record({
    endpoint: fc.option(
      fc.oneof(
        fc.constantFrom('https://example.com/h', 'http://127.0.0.1:9/h', 'https://10.0.0.1/h', 'not a url', ''),
        fc.string({ maxLength: 30, unit: 'binary' }),
      ),
      { nil: undefined },
    ),
    event: fc.option(
      fc.array(fc.oneof(fc.constantFrom('RECEIPTS', 'CUSTOMER', 'WEBHOOK.TEST', ''), fc.string({ maxLength: 10 })), {
        maxLength: 4,
      }),
      { nil: undefined },
    ),
    header: fc.option(fc.array(headerLine, { maxLength: 4 }), { nil: undefined }),
    disabled: fc.option(fc.boolean(), { nil: undefined }),
  })

  it('turns any options into the webhook they describe, or one INVALID_WEBHOOK naming every broken rule by its option', () => {
    const allowed = new AllowedNetworks(['127.0.0.0/8'])
    fc.assert(
      fc.property(options, (values) => {
        let webhook: ReturnType<typeof webhookFromOptions>
        try {
          webhook = webhookFromOptions(values, allowed)
        } catch (error) {
          expect(error).toBeInstanceOf(FlexError)
          const { code, validations } = error as FlexError
          expect(code).toBe('INVALID_WEBHOOK')
          expect(Object.keys(validations ?? {}).length).toBeGreaterThan(0)
          for (const [option, rule] of Object.entries(validations ?? {})) {
            expect(option).toMatch(/^--(endpoint|event|header|disabled)( |$)/)
            expect(rule).not.toBe('')
          }
          return
        }
        expect(webhook.endpoint).toBe(values.endpoint)
        expect(webhook.events).toEqual(values.event)
        expect(webhook.enabled).toBe(!values.disabled)
        // Every header given is kept, under its own name (a __proto__ too), and nothing else.
        expect(Object.keys(webhook.headers)).toHaveLength(values.header?.length ?? 0)
        for (const line of values.header ?? []) {
          const name = line.slice(0, line.indexOf(':')).trim()
          expect(Object.hasOwn(webhook.headers, name), line).toBe(true)
          expect(webhook.headers[name]).toBe(line.slice(line.indexOf(':') + 1).trim())
        }
      }),
      { numRuns: Number(process.env.FLEX_PROPERTY_RUNS ?? 300) },
    )
  })
})
