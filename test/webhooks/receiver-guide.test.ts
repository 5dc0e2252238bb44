import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { beforeAll, describe, expect, it } from 'vitest'
import { entities } from '../../src/ingest/entities/index.ts'
import { ingestRecords } from '../../src/ingest/ingest-records.ts'
import { deliveryRequest, userAgent, webhookVersion } from '../../src/webhooks/delivery-request.ts'
import { DeliveryWorker } from '../../src/webhooks/delivery-worker.ts'
import { AllowedNetworks } from '../../src/webhooks/endpoint-url.ts'
import {
  disableAfterFailingMs,
  goneStatus,
  jitter,
  maxAttempts,
  retryAfterStatuses,
  retryDelaysMs,
  scheduleSpanMs,
} from '../../src/webhooks/retry-schedule.ts'
import {
  defaultAttemptTimeoutMs,
  defaultResponseBodyLimit,
  WebhookSender,
} from '../../src/webhooks/send-webhook-request.ts'
import { signPayload } from '../../src/webhooks/sign-payload.ts'
import { createWebhook, rotateWebhookSecret } from '../../src/webhooks/webhook-repository.ts'
import { newSigningSecret } from '../../src/webhooks/webhook-secret.ts'
import {
  fencedBlocks,
  markdownSection,
  runDocumentedExample,
  shellBlocks,
  tableRows,
} from '../support/documented-examples.ts'
import { addBrand } from '../support/fixtures.ts'
import { flexDatabaseEnv, flexOutput, freePort, startFlex, startFlexServer } from '../support/flex-process.ts'
import { startShellSession } from '../support/shell-session.ts'
import { useTestDatabase } from '../support/test-database.ts'
import { type ReceivedRequest, startReceiver } from '../support/webhook-receiver.ts'

// docs/webhooks.md is the receivers' guide, and it cannot drift: its quick start runs here as
// written in one shell, its signature snippets (Node, Python) verify real signed deliveries, its
// attempt-log examples run against `flex serve --deliver`, and its tables (headers, retries) are
// compared with the code that sends.

const guide = 'docs/webhooks.md'
const root = fileURLToPath(new URL('../../', import.meta.url))
const database = useTestDatabase()
const db = () => database.current.handle.db

describe('docs/webhooks.md quick start', () => {
  it('runs as written in one shell: the receiver prints a delivery that verifies, the attempt log says SUCCESS, and step 7 stops both background processes', async () => {
    const blocks = await shellBlocks(guide, '## Quick start: a signed delivery on this machine')
    expect(blocks).toHaveLength(7)
    const apiPort = await freePort()
    const receiverPort = await freePort()
    const onTestPorts = (block: string) =>
      block.replaceAll(/\b8080\b/g, String(apiPort)).replaceAll(/\b4000\b/g, String(receiverPort))
    const [prepare, serve, register, receive, ingest, attempts, stop] = blocks.map(onTestPorts) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ]
    const embedded = await mkdtemp(path.join(tmpdir(), 'flex-quick-start-'))
    const session = await startShellSession({
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', FLEX_EMBEDDED_DIR: embedded },
    })
    try {
      await session.run(prepare, 90_000)
      await session.run(serve)
      await session.run(register)
      const created = /^\{"id":"[^"]+".*"secret":"whsec_[^"]+"\}$/m.exec(session.output())?.[0]
      expect(created, session.output()).toBeDefined()
      const webhook = JSON.parse(created ?? '{}') as { id: string; endpoint: string }
      expect(webhook.endpoint).toBe(`http://127.0.0.1:${receiverPort}/hook`)

      await session.run(receive)
      await session.waitFor('the receiver to listen', () =>
        session.output().includes(`listening on http://127.0.0.1:${receiverPort}`),
      )
      await session.run(ingest)
      await session.waitFor('the receiver to print a verified delivery', () =>
        session.output().includes('signature: verified'),
      )
      const printed = receivedRequest(session.output())
      expect(printed.requestLine).toBe('POST /hook')
      expect(printed.headers['webhook-id']).toBe(printed.headers['x-event-id'])
      expect(JSON.parse(printed.body)).toMatchObject({
        id: printed.headers['webhook-id'],
        type: 'CUSTOMER.CREATED',
        brandId: 'acme',
        data: { entity: { id: 'C-1', email: 'ada@example.com' } },
      })
      expect(session.output()).not.toContain('NOT verified')

      // The doc's sample printout names the same headers, in the same order.
      const [sample] = await fencedBlocks(guide, '## Quick start: a signed delivery on this machine', 'text')
      expect(Object.keys(receivedRequest(sample ?? '').headers)).toEqual(Object.keys(printed.headers))

      // Step 6 as written, until the attempt is recorded (it is, a few milliseconds after the answer).
      let answer = ''
      await session.waitFor('the attempt log to show SUCCESS', async () => {
        const before = session.output().length
        await session.run(attempts)
        answer = session.output().slice(before)
        return answer.includes('"status":"SUCCESS"')
      })
      expect(JSON.parse(answer.trim())).toMatchObject({
        events: [{ id: printed.headers['webhook-id'], type: 'CUSTOMER.CREATED', status: 'SUCCESS', nextAttempt: null }],
        page: { lastId: null },
      })

      await session.run(stop)
      expect(await accepts(apiPort)).toBe(false)
      expect(await accepts(receiverPort)).toBe(false)
    } finally {
      await session.close()
      await rm(embedded, { recursive: true, force: true })
    }
  })
})

/** The first request a printout of scripts/webhook-receiver.ts shows: request line, headers, body. */
function receivedRequest(printout: string): { requestLine: string; headers: Record<string, string>; body: string } {
  const lines = printout.split('\n')
  const start = lines.findIndex((line) => /^POST \//.test(line))
  expect(start, printout).toBeGreaterThan(-1)
  const blank = lines.indexOf('', start)
  const headers: Record<string, string> = {}
  for (const line of lines.slice(start + 1, blank)) {
    const colon = line.indexOf(': ')
    headers[line.slice(0, colon)] = line.slice(colon + 2)
  }
  return { requestLine: lines[start] ?? '', headers, body: lines[blank + 1] ?? '' }
}

/** Whether something listens on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

describe('docs/webhooks.md: what a delivery looks like', () => {
  it('lists exactly the headers every attempt carries, with their fixed values', async () => {
    const rows = tableRows(await markdownSection(guide, '### The request'))
    const named = rows.flatMap(([name, value]) => {
      const header = /^`([a-z-]+)`$/.exec(name ?? '')?.[1]
      return header === undefined ? [] : [[header, value ?? ''] as const]
    })
    const sent = deliveryRequest(
      {
        eventId: '0193a1f2-7c4e-7b2e-9f4d-2a6b8c0d1e2f',
        endpoint: 'https://example.com/hook',
        headers: {},
        secrets: [newSigningSecret()],
      },
      '{}',
      new Date(),
    )
    expect(named.map(([header]) => header)).toEqual(Object.keys(sent.headers).sort(byHeaderTableOrder))
    const value = Object.fromEntries(named)
    expect(value['content-type']).toBe(`\`${sent.headers['content-type']}\``)
    expect(value['user-agent']).toBe(`\`${userAgent}\``)
    expect(value['x-webhook-version']).toContain(`\`${webhookVersion}\``)
    expect(rows.some(([name]) => name === 'your own headers')).toBe(true)
  })

  it('states the attempt limits the sender enforces: 10 s for a whole attempt, 4 KiB of response body kept', async () => {
    const section = await markdownSection(guide, '### Answer 2xx within 10 seconds')
    expect(section).toContain(`within ${defaultAttemptTimeoutMs / 1000} s`)
    expect(section).toContain(`up to ${defaultResponseBodyLimit / 1024} KiB`)
  })
})

// The table's order: the platform's headers as they are listed in the doc.
const headerTableOrder = [
  'content-type',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-event-id',
  'x-webhook-version',
]
function byHeaderTableOrder(a: string, b: string): number {
  return headerTableOrder.indexOf(a) - headerTableOrder.indexOf(b)
}

describe('docs/webhooks.md: the retry table', () => {
  it('equals retryDelaysMs, with the jitter, the attempt count and the 23 h 36 min span of retry-schedule.ts', async () => {
    const section = await markdownSection(guide, '### The retry table')
    const rows = tableRows(section).filter(([attempt]) => /^\d+$/.test(attempt ?? ''))
    expect(rows.map(([attempt]) => Number(attempt))).toEqual(Array.from({ length: maxAttempts }, (_, i) => i + 1))
    let since = 0
    const expected = [
      [undefined, 0],
      ...retryDelaysMs.map((delay) => {
        since += delay
        return [delay, since]
      }),
    ]
    const documented = rows.map(([, wait, total]) => [
      /\d/.test(wait ?? '') ? durationMs(wait ?? '') : undefined,
      durationMs(total ?? ''),
    ])
    expect(documented).toEqual(expected)
    expect(section).toContain(`±${jitter * 100}%`)
    expect(section).toContain(`${maxAttempts} attempts`)
    expect(section).toContain(`the last about ${formatDuration(since)} after the first`)
    expect(section).toContain(`No attempt is made later than ${scheduleSpanMs / 3_600_000} h after the first`)
    expect(section).toContain([...retryAfterStatuses].sort().join(' or '))
  })

  it('names the disabling rules of retry-schedule.ts: 410 Gone at once, 5 days without a success', async () => {
    const section = await markdownSection(guide, '### When a webhook is disabled')
    expect(section).toContain(`**${goneStatus} Gone**`)
    expect(section).toContain(`**no attempt has succeeded for ${disableAfterFailingMs / 86_400_000} days**`)
  })
})

/** "1 h 36 min 5 s" in milliseconds; "0" is 0. */
function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, min: 60_000, s: 1_000 }
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+) (h|min|s)\b/g)) total += Number(amount) * (units[unit ?? ''] ?? 0)
  if (total === 0) expect(text).toBe('0')
  return total
}

function formatDuration(ms: number): string {
  const hours = Math.floor(ms / 3_600_000)
  const minutes = Math.round((ms % 3_600_000) / 60_000)
  return `${hours} h ${minutes} min`
}

/** A request as a receiver gets it, and whether a correct verifier accepts it with `secret`. */
interface SignatureCase {
  name: string
  secret: string
  headers: Record<string, string>
  body: Buffer
  valid: boolean
}

const signedHeaders = [
  'content-type',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-event-id',
  'x-webhook-version',
]

describe('docs/webhooks.md: the signature snippets', () => {
  const cases: SignatureCase[] = []
  let eventIds: string[] = []

  // Two real deliveries through the worker and the guarded sender: one signed with the webhook's
  // secret, one after a rotation (two signatures); then what an attacker or a slow network makes of them.
  beforeAll(async () => {
    await addBrand(db(), 'guide-sign', 'UTC')
    const receiver = await startReceiver()
    const sender = new WebhookSender({ allowed: new AllowedNetworks(['127.0.0.0/8']) })
    try {
      const created = await createWebhook(db(), 'guide-sign', {
        endpoint: `${receiver.url}/hook`,
        events: ['CUSTOMER'],
        enabled: true,
        headers: {},
      })
      if (!('created' in created)) throw new Error('duplicate webhook')
      const worker = new DeliveryWorker({ db: db(), sender, logger: pino({ level: 'silent' }) })
      await ingestRecords(db(), 'guide-sign', entities.customers, [{ id: 'C-1', updated_at: '2026-11-21T09:30:00Z' }])
      await worker.runOnce()
      const rotated = await rotateWebhookSecret(db(), 'guide-sign', created.created.id)
      if (!rotated) throw new Error('not rotated')
      await ingestRecords(db(), 'guide-sign', entities.customers, [{ id: 'C-2', updated_at: '2026-11-21T09:30:00Z' }])
      await worker.runOnce()
      const [first, second] = receiver.requests as [ReceivedRequest, ReceivedRequest]
      expect(receiver.requests).toHaveLength(2)
      expect(second.headers['webhook-signature']?.split(' ')).toHaveLength(2)
      eventIds = [first.headers['webhook-id'] ?? '', second.headers['webhook-id'] ?? '']

      const secret = created.secret
      const asReceived = (request: ReceivedRequest) => ({
        headers: Object.fromEntries(signedHeaders.map((name) => [name, request.headers[name] ?? ''])),
        body: Buffer.from(request.body, 'utf8'),
      })
      const resigned = (secondsFromNow: number) => {
        const timestamp = Math.floor(Date.now() / 1000) + secondsFromNow
        const { headers, body } = asReceived(first)
        return {
          headers: {
            ...headers,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signPayload([secret], eventIds[0] ?? '', timestamp, body.toString('utf8')),
          },
          body,
        }
      }
      const tampered = asReceived(first)
      tampered.body = Buffer.from(first.body.replace('"C-1"', '"C-9"'), 'utf8')
      const unsigned = asReceived(first)
      delete unsigned.headers['webhook-signature']
      const otherVersions = asReceived(first)
      otherVersions.headers['webhook-signature'] = `v2,${first.headers['webhook-signature']?.slice(3)} v1,ü v1`
      cases.push(
        { name: 'a delivery', secret, ...asReceived(first), valid: true },
        {
          name: 'a delivery after a rotation, checked with the old secret',
          secret,
          ...asReceived(second),
          valid: true,
        },
        { name: 'the same, checked with the new secret', secret: rotated.secret, ...asReceived(second), valid: true },
        {
          name: 'a delivery signed before the rotation, checked with the new secret',
          secret: rotated.secret,
          ...asReceived(first),
          valid: false,
        },
        { name: 'a tampered body', secret, ...tampered, valid: false },
        { name: 'another secret', secret: newSigningSecret(), ...asReceived(first), valid: false },
        { name: 'a timestamp 4 minutes old', secret, ...resigned(-240), valid: true },
        { name: 'a timestamp 6 minutes old', secret, ...resigned(-360), valid: false },
        { name: 'a timestamp 6 minutes ahead', secret, ...resigned(360), valid: false },
        { name: 'no signature header', secret, ...unsigned, valid: false },
        { name: 'signatures of another version, or not base64', secret, ...otherVersions, valid: false },
      )
    } finally {
      await sender.close()
      await receiver.close()
    }
  })

  it('Node: the receiver snippet answers 204 to signed deliveries (either secret after a rotation), 401 to the rest, and handles each event once', async () => {
    const [snippet] = await fencedBlocks(guide, '### Node, with the official `standardwebhooks` package', 'js')
    expect(snippet).toContain("from 'standardwebhooks'")
    // Inside node_modules, so that the snippet's import of standardwebhooks resolves as in a receiver's project.
    const cache = path.join(root, 'node_modules', '.cache')
    await mkdir(cache, { recursive: true })
    const dir = await mkdtemp(path.join(cache, 'flex-doc-snippet-'))
    const file = path.join(dir, 'receiver.mjs')
    await writeFile(file, snippet ?? '')
    const port = await freePort()
    const secret = cases[0]?.secret ?? ''
    const receiver = spawn(process.execPath, [file], {
      env: { PATH: process.env.PATH, PORT: String(port), WEBHOOK_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let printed = ''
    receiver.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      printed += chunk
    })
    receiver.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      printed += chunk
    })
    try {
      const url = `http://127.0.0.1:${port}/hook`
      await pollUntil('the snippet to listen', receiver, () =>
        fetch(url, { method: 'POST' }).then(
          () => true,
          () => false,
        ),
      )
      // The snippet knows one secret, the webhook's first; cases for another secret say nothing about it.
      const applicable = cases.filter((c) => c.secret === secret)
      expect(applicable.length).toBeGreaterThanOrEqual(8)
      const answers: Record<string, number> = {}
      for (const c of [...applicable, applicable[0] as SignatureCase]) {
        const response = await fetch(url, { method: 'POST', headers: c.headers, body: c.body })
        answers[c.name] = response.status
      }
      expect(answers).toEqual(Object.fromEntries(applicable.map((c) => [c.name, c.valid ? 204 : 401])))
      // The delivery sent twice and the one after the rotation were each handled once.
      const handled = printed.trim().split('\n')
      expect(handled.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
        `CUSTOMER.CREATED ${eventIds[0]}`,
        `CUSTOMER.CREATED ${eventIds[1]}`,
      ])
    } finally {
      receiver.kill('SIGTERM')
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('Python, standard library only: the snippet accepts exactly the validly signed deliveries', async () => {
    const [snippet] = await fencedBlocks(guide, '### Python, standard library only', 'python')
    expect(snippet).not.toMatch(/^(import|from) standardwebhooks/m)
    expect(await verifiedByPython(snippet ?? '')).toEqual(cases.map((c) => expectation(c)))
  })

  it('Python, with the official standardwebhooks package: the snippet accepts exactly the validly signed deliveries', async (context) => {
    const probe = await python('import standardwebhooks', '')
    if (probe.code !== 0) {
      return context.skip(
        'the Python package standardwebhooks is not installed (python3 -c "import standardwebhooks" fails; PyPI is out of reach here)',
      )
    }
    const [snippet] = await fencedBlocks(guide, '### Python, with the official `standardwebhooks` package', 'python')
    expect(await verifiedByPython(snippet ?? '')).toEqual(cases.map((c) => expectation(c)))
  })

  function expectation(c: SignatureCase): { name: string; ok: boolean; id?: string } {
    return c.valid
      ? { name: c.name, ok: true, id: JSON.parse(c.body.toString('utf8')).id }
      : { name: c.name, ok: false }
  }

  /** Runs a snippet that defines verify_webhook(secret, headers, body) over every case. */
  async function verifiedByPython(snippet: string): Promise<{ name: string; ok: boolean; id?: string }[]> {
    const harness = `
import base64 as _base64, json as _json, sys as _sys
_results = []
for _case in _json.load(_sys.stdin):
    try:
        _event = verify_webhook(_case["secret"], _case["headers"], _base64.b64decode(_case["body"]))
        _results.append({"name": _case["name"], "ok": True, "id": _event["id"]})
    except Exception as _error:
        _results.append({"name": _case["name"], "ok": False, "error": f"{type(_error).__name__}: {_error}"})
print(_json.dumps(_results))
`
    const input = JSON.stringify(
      cases.map((c) => ({ name: c.name, secret: c.secret, headers: c.headers, body: c.body.toString('base64') })),
    )
    const run = await python(`${snippet}\n${harness}`, input)
    expect(run.code, run.stderr).toBe(0)
    const results = JSON.parse(run.stdout) as { name: string; ok: boolean; id?: string; error?: string }[]
    // A refusal must come from the verifier's own checks, not from a crash on odd input.
    for (const result of results)
      expect(result.error ?? '', result.name).not.toMatch(/^(TypeError|KeyError|AttributeError)/)
    return results.map(({ error: _error, ...result }) => result)
  }
})

/** Runs python3 with `code`, feeding `input` on stdin. */
function python(code: string, input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', code], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number')
        reject(new Error(`python3 could not run (${error.message}): install Python 3`))
      else resolve({ code: error ? Number(error.code) : 0, stdout, stderr })
    })
    child.stdin?.end(input)
  })
}

async function pollUntil(what: string, child: ChildProcess, check: () => Promise<boolean>, deadlineMs = 15_000) {
  const deadline = Date.now() + deadlineMs
  while (!(await check())) {
    if (child.exitCode !== null) throw new Error(`waiting for ${what}, but it exited ${child.exitCode}`)
    if (Date.now() > deadline) throw new Error(`waiting for ${what}: not within ${deadlineMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('docs/webhooks.md: the attempt log examples', () => {
  it('list, show and retry a real failed delivery against flex serve --deliver, and name each bad page parameter', async () => {
    const blocks = await shellBlocks(guide, '### The attempt log, and retrying by hand')
    expect(blocks).toHaveLength(4)
    const env = await flexDatabaseEnv(database.current)
    if (database.current.kind === 'pglite') await flexOutput(['migrate'], env)
    await flexOutput(['brands', 'add', 'acme', '--timezone', 'Europe/Berlin'], env)
    const key = JSON.parse(await flexOutput(['apikey', 'create', '--brand', 'acme', '--json'], env)).key as string
    const receiver = await startReceiver((_request, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('down for maintenance')
    })
    const server = await startFlexServer({
      env: { ...env, FLEX_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8' },
      args: ['--deliver'],
    })
    try {
      const api = (route: string, init: RequestInit = {}) =>
        fetch(`${server.url}/v1/acme${route}`, {
          ...init,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        })
      const created = (await (
        await api('/webhooks', {
          method: 'POST',
          body: JSON.stringify({
            endpoint: `${receiver.url}/hook`,
            events: ['CUSTOMER'],
            headers: { 'X-Shared-Secret': 'not-for-logs' },
          }),
        })
      ).json()) as { id: string }
      expect(
        (await api('/customers', { method: 'POST', body: '[{"id": "C-1", "updated_at": "2026-11-21T09:30:00Z"}]' }))
          .status,
      ).toBe(200)
      let eventId = ''
      await server.waitFor('the first attempt to be recorded', async () => {
        const page = (await (await api(`/webhooks/${created.id}/events`)).json()) as { events: { id: string }[] }
        eventId = page.events[0]?.id ?? ''
        if (eventId === '') return false
        const event = (await (await api(`/webhooks/${created.id}/events/${eventId}`)).json()) as { attempts: unknown[] }
        return event.attempts.length > 0
      })

      const exampleEnv = {
        FLEX_URL: server.url,
        BRAND: 'acme',
        FLEX_KEY: key,
        WEBHOOK_ID: created.id,
        EVENT_ID: eventId,
      }
      const [list, show, retry, invalid] = blocks as [string, string, string, string]
      const listed = JSON.parse((await runDocumentedExample(list, exampleEnv)).body)
      expect(listed.events).toEqual([
        expect.objectContaining({
          id: eventId,
          type: 'CUSTOMER.CREATED',
          status: 'FAILURE',
          nextAttempt: expect.any(String),
        }),
      ])
      const shown = JSON.parse((await runDocumentedExample(show, exampleEnv)).body)
      expect(shown).toMatchObject({ id: eventId, status: 'FAILURE', erased: false })
      expect(shown.attempts[0]).toMatchObject({
        status: 'FAILURE',
        request: { endpoint: `${receiver.url}/hook`, headers: { 'x-shared-secret': '********' } },
        response: { statusCode: 500, body: 'down for maintenance', bodyTruncated: false, time: expect.any(Number) },
        error: null,
      })

      receiver.answer((_request, res) => {
        res.writeHead(204).end()
      })
      await runDocumentedExample(retry, exampleEnv)
      await server.waitFor('the retried event to succeed', async () => {
        const event = (await (await api(`/webhooks/${created.id}/events/${eventId}`)).json()) as { status: string }
        return event.status === 'SUCCESS'
      })
      expect(receiver.requests.at(-1)?.headers['webhook-id']).toBe(eventId)

      const refused = JSON.parse((await runDocumentedExample(invalid, exampleEnv)).body)
      expect(Object.keys(refused.validations).sort()).toEqual(['size', 'start'])
    } finally {
      expect(await server.stop()).toBe(0)
      await receiver.close()
    }
  })
})

describe('docs/webhooks.md: operating the delivery worker', () => {
  it('flex deliver delivers a due event to its webhook, and on SIGTERM finishes and exits 0', async (context) => {
    if (database.current.kind === 'pglite') {
      return context.skip('needs a PostgreSQL server that flex deliver and the test both open (set DATABASE_URL)')
    }
    await addBrand(db(), 'guide-deliver', 'UTC')
    const receiver = await startReceiver()
    const worker = startFlex(['deliver'], {
      env: { DATABASE_URL: database.current.url, FLEX_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8' },
    })
    try {
      const created = await createWebhook(db(), 'guide-deliver', {
        endpoint: `${receiver.url}/hook`,
        events: ['CUSTOMER'],
        enabled: true,
        headers: {},
      })
      if (!('created' in created)) throw new Error('duplicate webhook')
      await ingestRecords(db(), 'guide-deliver', entities.customers, [
        { id: 'C-1', updated_at: '2026-11-21T09:30:00Z' },
      ])
      await worker.waitFor('the delivery', () => receiver.requests.length > 0)
      expect(JSON.parse(receiver.requests[0]?.body ?? '{}')).toMatchObject({
        type: 'CUSTOMER.CREATED',
        brandId: 'guide-deliver',
      })
    } finally {
      expect(await worker.stop('SIGTERM')).toBe(0)
      await receiver.close()
    }
    expect(worker.stderr()).toContain('finishing webhook attempts in flight')
  })
})
