import { describe, expect, it } from 'vitest'
import { runDocumentedExample, shellBlocks } from '../support/documented-examples.ts'
import { flexDatabaseEnv, flexOutput, runFlex, startFlexServer } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The docs cannot drift: the shell examples of docs/webhooks.md's "API" section are run here with
// bash and the real curl against a started `flex serve`, in order (the create example's answer
// gives the id the later ones use).

const database = useTestDatabase()

async function brandWithKey(env: Record<string, string>): Promise<string> {
  if (database.current.kind === 'pglite') await flexOutput(['migrate'], env)
  await flexOutput(['brands', 'add', 'acme', '--timezone', 'Europe/Berlin'], env)
  return JSON.parse(await flexOutput(['apikey', 'create', '--brand', 'acme', '--json'], env)).key
}

describe('docs/webhooks.md API examples', () => {
  it('each answers the status it documents, in order, against a started flex serve', async () => {
    const blocks = await shellBlocks('docs/webhooks.md', '## API')
    const env = await flexDatabaseEnv(database.current)
    const key = await brandWithKey(env)
    const server = await startFlexServer({ env })
    try {
      const exampleEnv: Record<string, string> = { FLEX_URL: server.url, BRAND: 'acme', FLEX_KEY: key }
      const seen: number[] = []
      for (const block of blocks) {
        if (block.includes('export FLEX_URL=')) continue // the variables, set above instead
        const { firstLine, status, body } = await runDocumentedExample(block, exampleEnv)
        if (status === 204) expect(body, firstLine).toBe('')
        else expect(() => JSON.parse(body), `${firstLine}: JSON answer`).not.toThrow()
        if (status === 201) exampleEnv.WEBHOOK_ID = JSON.parse(body).id
        seen.push(status)
      }
      expect(seen.sort()).toEqual([200, 200, 200, 200, 201, 204, 204, 404, 409, 422])
      const gone = await fetch(`${server.url}/v1/acme/webhooks/${exampleEnv.WEBHOOK_ID}`, {
        headers: { authorization: `Bearer ${key}` },
      })
      expect(gone.status).toBe(404)
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })
})

describe('docs/webhooks.md publishing examples', () => {
  it('each answers the status it documents, in order, against a started flex serve; the retry is answered as two duplicates', async () => {
    const blocks = await shellBlocks('docs/webhooks.md', '## Publishing events (upstream systems)')
    const env = await flexDatabaseEnv(database.current)
    const key = await brandWithKey(env)
    const server = await startFlexServer({ env })
    try {
      const exampleEnv: Record<string, string> = { FLEX_URL: server.url, BRAND: 'acme', FLEX_KEY: key }
      const answers: { status: number; body: { summary?: unknown; validations?: Record<string, string> } }[] = []
      for (const block of blocks) {
        const { status, body } = await runDocumentedExample(block, exampleEnv)
        answers.push({ status, body: JSON.parse(body) })
      }
      expect(answers.map((a) => a.status)).toEqual([202, 202, 409, 422])
      expect(answers.map((a) => a.body.summary)).toEqual([
        { created: 2, duplicate: 0 },
        { created: 0, duplicate: 2 },
        undefined,
        undefined,
      ])
      expect(Object.keys(answers[2]?.body.validations ?? {})).toEqual(['events.0.id'])
      expect(Object.keys(answers[3]?.body.validations ?? {}).sort()).toEqual(['events.0.type', 'events.1.data.orderId'])
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })
})

describe('docs/webhooks.md operating examples', () => {
  it('each answers the status it documents against a started flex serve, and the count and the retry agree', async () => {
    const blocks = await shellBlocks('docs/webhooks.md', '## Operating webhooks: health, activity, bulk retry')
    const env = await flexDatabaseEnv(database.current)
    const key = await brandWithKey(env)
    const server = await startFlexServer({ env })
    try {
      const created = await fetch(`${server.url}/v1/acme/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ endpoint: 'https://example.com/ops', events: ['ORDER_EVENTS'] }),
      })
      const webhookId = ((await created.json()) as { id: string }).id
      const exampleEnv = { FLEX_URL: server.url, BRAND: 'acme', FLEX_KEY: key, WEBHOOK_ID: webhookId }
      const answers: { status: number; body: Record<string, unknown> }[] = []
      for (const block of blocks) {
        const { status, body } = await runDocumentedExample(block, exampleEnv)
        answers.push({ status, body: JSON.parse(body) })
      }
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 202, 422])
      expect((answers[0]?.body.webhooks as { id: string }[] | undefined)?.map((w) => w.id)).toEqual([webhookId])
      expect(answers[3]?.body.count).toBe(answers[4]?.body.retried)
      expect(answers[5]?.body.validations).toEqual({ end: 'end is required' })
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })
})

describe('FLEX_WEBHOOK_ALLOW_NETWORKS in flex serve', () => {
  it('opens plain http to loopback only when set, and a bad CIDR stops serve with a message naming it', async () => {
    const env = await flexDatabaseEnv(database.current)
    const key = await brandWithKey(env)
    const create = (url: string) =>
      fetch(`${url}/v1/acme/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ endpoint: 'http://127.0.0.1:9/hook', events: ['CUSTOMER'] }),
      })

    const closed = await startFlexServer({ env })
    try {
      const refused = await create(closed.url)
      expect(refused.status).toBe(422)
      expect(((await refused.json()) as { validations: { endpoint: string } }).validations.endpoint).toContain(
        'FLEX_WEBHOOK_ALLOW_NETWORKS',
      )
    } finally {
      expect(await closed.stop()).toBe(0)
    }

    const open = await startFlexServer({ env: { ...env, FLEX_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8,::1/128' } })
    try {
      expect((await create(open.url)).status).toBe(201)
    } finally {
      expect(await open.stop()).toBe(0)
    }

    const bad = await runFlex(['serve'], { ...env, FLEX_WEBHOOK_ALLOW_NETWORKS: '127.0.0.1' })
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('FLEX_WEBHOOK_ALLOW_NETWORKS')
    expect(bad.stderr).toContain('not a CIDR')
  })
})
