import { execFile } from 'node:child_process'
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { commands } from '../../src/cli/main.ts'
import { startFlex } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'

const bin = fileURLToPath(new URL('../../bin/flex.js', import.meta.url))
const repoFile = (relative: string) => readFile(fileURLToPath(new URL(`../../${relative}`, import.meta.url)), 'utf8')
const database = useTestDatabase()

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

function flex(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--max-semi-space-size=16', bin, ...args],
      { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env }, timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** Environment that points the CLI at this file's database (or a fresh embedded one). */
async function databaseEnv(): Promise<Record<string, string>> {
  if (database.current.kind !== 'pglite') return { DATABASE_URL: database.current.url }
  return { FLEX_EMBEDDED_DIR: await mkdtemp(path.join(tmpdir(), 'flex-cli-pglite-')) }
}

describe('flex CLI', () => {
  it('lists its commands, and every command explains itself with --help', async () => {
    const overview = await flex(['--help'])
    expect(overview.code).toBe(0)
    for (const command of [
      'migrate',
      'brands',
      'export',
      'backfill',
      'schedule',
      'runs',
      'ingest',
      'apikey',
      'serve',
      'webhooks',
      'demo',
    ]) {
      expect(overview.stdout).toContain(command)
      const help = await flex([command, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toMatch(/^Usage:/)
    }
    expect((await flex(['export', '--help'])).stdout).toMatch(/Exit codes: 0 .*\n2 bad arguments .*\n.*quarantined/)
  })

  it('answers a bad argument with one line and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['export', '--date', '2026-13-01'], /--date must be a calendar date YYYY-MM-DD, got "2026-13-01"/],
      [['export', '--colour'], /Unknown option '--colour'/],
      [['brands', 'add', 'acme', '--timezone', 'Mars/Olympus'], /unknown timezone "Mars\/Olympus"/],
      [['brands', 'add', 'Not A Valid Id', '--timezone', 'UTC'], /invalid brand id/],
      [['brands', 'add', 'acme'], /add needs --timezone/],
      [['export', '--dest', 's3://bucket/prefix'], /unsupported destination "s3:\/\/bucket\/prefix"/],
      [['export', '--dest', 'gs://Not_A_Bucket'], /invalid bucket URL/],
      [['launch'], /unknown command "launch"/],
      [['export', '--shard', '5/2'], /--shard must be INDEX\/COUNT/],
      [['ingest', '--brand', 'b', '--entity', 'shoes', 'x.csv'], /--entity must be one of customers, customer_events/],
      [['ingest'], /give a FILE to load, or status/],
      [
        ['ingest', '--brand', 'b', '--entity', 'customers', '/no/such/file.csv'],
        /cannot read \/no\/such\/file\.csv: ENOENT/,
      ],
      [['apikey', 'revoke', 'not-an-id'], /KEY_ID must be the key id flex apikey create printed/],
      [['backfill', '--from', '2026-02-01', '--to', '2026-01-01'], /--from 2026-02-01 is after --to 2026-01-01/],
      [['backfill', '--to', '2026-01-01'], /--from is required/],
      [['backfill', '--from', '2026-01-01', '--to', '2026-01-02', '--concurrency', '0'], /--concurrency must be/],
    ]
    for (const [args, message] of cases) {
      const outcome = await flex(args, await databaseEnv())
      expect(outcome.code, args.join(' ')).toBe(2)
      expect(outcome.stderr, args.join(' ')).toMatch(message)
      expect(outcome.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      // Named once: "flex export: --date must be ...", never "flex export: flex export: ...".
      expect(outcome.stderr, args.join(' ')).toMatch(/^flex(?: [a-z]+)?: (?!flex)/)
    }
  })

  it("names in each command's usage lines exactly the options it accepts, folders and buckets alike for --dest", async () => {
    // Started together: one at a time, a dozen processes outlast the timeout on a busy machine.
    const helps = await Promise.all(commands.map((command) => flex([command.name, '--help'])))
    for (const [index, command] of commands.entries()) {
      const help = helps[index]?.stdout ?? ''
      const usage = help.slice(0, help.indexOf('\n\n'))
      const declared = Object.keys(command.options).map((name) => `--${name}`)
      for (const option of declared) expect(usage, `flex ${command.name} usage`).toContain(option)
      for (const mentioned of help.match(/--[a-z][a-z-]*/g) ?? []) {
        if (mentioned !== '--help')
          expect(declared, `flex ${command.name} --help mentions ${mentioned}`).toContain(mentioned)
      }
      if ('dest' in command.options)
        expect(usage, `flex ${command.name} usage`).toContain('--dest DIR|gs://BUCKET/PREFIX')
      // flex serve's help is being reworked with the command itself (issue 8, part 1).
      if (command.name !== 'serve') expect(help, `flex ${command.name} --help`).toMatch(/Exit codes/)
    }
  })

  it("lists in README's command table only options each command accepts, and all but --json", async () => {
    const readme = await repoFile('README.md')
    for (const command of commands) {
      const rows = readme.split('\n').filter((line) => line.startsWith(`| \`flex ${command.name}`))
      expect(rows, `README row for flex ${command.name}`).toHaveLength(1)
      const mentioned = new Set(rows[0]?.split(' | ')[0]?.match(/--[a-z][a-z-]*/g) ?? [])
      const declared = Object.keys(command.options).map((name) => `--${name}`)
      expect([...mentioned].sort(), `README row for flex ${command.name}`).toEqual(
        declared.filter((option) => option !== '--json').sort(),
      )
    }
  })

  it('gives the batch size of flex ingest as docs/ingestion.md does', async () => {
    const help = (await flex(['ingest', '--help'])).stdout.replace(/\s+/g, ' ')
    const docs = (await repoFile('docs/ingestion.md')).replace(/\s+/g, ' ')
    const documented = /Records are stored in batches of ([\d,]+)/.exec(docs)?.[1]
    expect(documented).toBe('5,000')
    expect(help).toContain(`batches of ${documented}`)
  })

  it('reports every invalid environment variable at once, each with what it expects, and exits 2', async () => {
    const outcome = await flex(['runs'], {
      DATABASE_URL: 'mysql://db.example/flex',
      FLEX_EXPORT_CHUNK_ROWS: '5',
      FLEX_SCHEDULE_AT: '25:00',
      CLOUD_RUN_TASK_COUNT: '0',
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
    })
    expect(outcome.code).toBe(2)
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1)
    for (const problem of [
      'DATABASE_URL: expected a postgres:// or postgresql:// connection string',
      'FLEX_EXPORT_CHUNK_ROWS: expected a whole number from 100 to 100000',
      'FLEX_SCHEDULE_AT: expected a time of day HH:MM (00:00 to 23:59)',
      'CLOUD_RUN_TASK_COUNT: expected a whole number, 1 or more',
      'PORT: expected a port number from 0 to 65535',
      'LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent',
    ]) {
      expect(outcome.stderr).toContain(problem)
    }
    expect(outcome.stderr).toMatch(/fix or unset them \(README: Configuration\)/)
  })

  it('says clearly when the database cannot be reached', async () => {
    const outcome = await flex(['brands', 'list'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' })
    expect(outcome.code).toBe(1)
    expect(outcome.stderr).toMatch(
      /^flex brands: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/nothing: .*Is PostgreSQL running/,
    )
  })

  it('says how to create the database when DATABASE_URL names one that does not exist, and exits 2', async (context) => {
    if (database.current.kind === 'pglite') {
      context.skip('needs a PostgreSQL server to name a missing database on (set DATABASE_URL to run it)')
    }
    const url = new URL(database.current.url)
    url.pathname = '/flex_no_such_database'
    url.password = 'secret-password'
    const outcome = await flex(['migrate'], { DATABASE_URL: url.toString() })
    expect(outcome.code).toBe(2)
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1)
    expect(outcome.stderr).toMatch(/^flex migrate: database "flex_no_such_database" does not exist on /)
    expect(outcome.stderr).toContain('createdb flex_no_such_database')
    expect(outcome.stderr).toMatch(/psql "postgres:\/\/[^"]*\/postgres" -c 'create database flex_no_such_database'/)
    expect(outcome.stderr).toContain('then run flex migrate')
    expect(outcome.stderr).not.toContain('secret-password')
  })

  it('migrates, adds a brand, exports a day as JSON, and refuses an unwritable destination', async () => {
    const env = await databaseEnv()
    expect((await flex(['migrate'], env)).code).toBe(0)
    const added = await flex(['brands', 'add', 'cli-brand', '--timezone', 'Asia/Tokyo', '--name', 'CLI', '--json'], env)
    expect(added.code).toBe(0)
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'cli-brand', timezone: 'Asia/Tokyo', name: 'CLI' })

    const dest = await mkdtemp(path.join(tmpdir(), 'flex-cli-'))
    const exported = await flex(
      ['export', '--brand', 'cli-brand', '--date', '2026-02-01', '--dest', dest, '--json'],
      env,
    )
    expect(exported.stderr).toBe('')
    expect(exported.code).toBe(0)
    const summary = JSON.parse(exported.stdout)
    expect(summary.days).toEqual([
      {
        brand: 'cli-brand',
        date: '2026-02-01',
        manifest: 'cli-brand/_manifests/dt=2026-02-01.json',
        rows: 0,
        bytes: expect.any(Number),
        quarantined_rows: 0,
      },
    ])

    const runs = await flex(['runs', '--brand', 'cli-brand', '--json'], env)
    expect(runs.code).toBe(0)
    expect(JSON.parse(runs.stdout)).toEqual([
      expect.objectContaining({ brand_id: 'cli-brand', date: '2026-02-01', status: 'succeeded', files: 5 }),
    ])

    const status = await flex(['ingest', 'status', '--brand', 'cli-brand', '--json'], env)
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toEqual([])
    const transactions = path.join(dest, 'transactions.ndjson')
    await writeFile(
      transactions,
      `${JSON.stringify({
        id: 'T-1',
        customer_id: 'C-later',
        occurred_at: '2026-02-01T10:00:00+09:00',
        status: 'completed',
        currency: 'JPY',
        total_amount: '1200',
        items: [],
        updated_at: '2026-02-01T10:00:00+09:00',
      })}\n`,
    )
    const ingested = await flex(['ingest', '--brand', 'cli-brand', '--entity', 'transactions', transactions], env)
    expect(ingested.code).toBe(0)
    const waiting = await flex(['ingest', 'status', '--brand', 'cli-brand'], env)
    expect(waiting.stdout).toMatch(/^cli-brand\ttransactions -> customers\t1 waiting\toldest for \d+s \(since 20/)

    const blocked = path.join(dest, 'not-a-folder')
    await writeFile(blocked, 'a file where the destination folder should be')
    await chmod(blocked, 0o400)
    const unwritable = path.join(blocked, 'sub')
    const refused = await flex(['export', '--brand', 'cli-brand', '--dest', unwritable], env)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/^flex export: cannot write to .*not-a-folder\/sub: .*Choose another --dest/)
    // The scheduler and the backfill refuse it the same way: a destination to fix, not a failed day.
    for (const args of [
      ['schedule', '--once', '--dest', unwritable],
      ['backfill', '--from', '2026-02-01', '--to', '2026-02-01', '--dest', unwritable],
    ]) {
      const outcome = await flex(args, env)
      expect(outcome.code, args.join(' ')).toBe(2)
      expect(outcome.stderr, args.join(' ')).toMatch(/^flex [a-z]+: cannot write to .*Choose another --dest/)
    }

    const missing = await flex(['export', '--brand', 'nobody'], env)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/no brand "nobody"/)
  })

  it("runs README's other commands as written: demo, brands list, backfill, runs filters, ingest --rejects, apikey create and revoke", async () => {
    const env = await databaseEnv()
    const dest = await mkdtemp(path.join(tmpdir(), 'flex-readme-'))

    const demo = await flex(['demo', '--dest', path.join(dest, 'demo'), '--json'], env)
    expect(demo.code, demo.stderr).toBe(0)
    // Other tests of this file may have added brands of their own to its database.
    const demoDays = (JSON.parse(demo.stdout).days as { brand: string; rows: number }[]).filter((d) =>
      ['maple-market', 'nordlicht', 'sakura-mart'].includes(d.brand),
    )
    expect(demoDays).toHaveLength(3)
    expect(demoDays.every((d) => d.rows > 0)).toBe(true)
    // It makes an operator key for the console and says where the console is.
    expect(JSON.parse(demo.stdout).console).toEqual({
      url: 'http://localhost:8080/console',
      operator_key: expect.stringMatching(/^flex_[A-Za-z0-9_-]{43}$/),
    })

    const brands = await flex(['brands', 'list'], env)
    expect(brands.code).toBe(0)
    expect(brands.stdout).toMatch(/^nordlicht\tEurope\/Berlin\t/m)

    const backfill = ['backfill', '--from', '2026-03-28', '--to', '2026-03-30', '--brand', 'nordlicht']
    const target = ['--dest', path.join(dest, 'backfill'), '--gzip']
    const first = await flex([...backfill, ...target, '--concurrency', '2', '--json'], env)
    expect(first.code, first.stderr).toBe(0)
    expect((JSON.parse(first.stdout) as { date: string; status: string }[]).map((d) => [d.date, d.status])).toEqual([
      ['2026-03-28', 'exported'],
      ['2026-03-29', 'exported'],
      ['2026-03-30', 'exported'],
    ])
    const again = await flex([...backfill, ...target], env)
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/3 brand-days: 0 exported, 3 skipped, 0 failed/)
    const forced = await flex([...backfill, ...target, '--force'], env)
    expect(forced.stdout).toMatch(/3 brand-days: 3 exported, 0 skipped, 0 failed/)

    const runs = await flex(['runs', '--date', '2026-03-29', '--brand', 'nordlicht', '--limit', '1', '--json'], env)
    expect(runs.code).toBe(0)
    expect(JSON.parse(runs.stdout)).toEqual([
      expect.objectContaining({ brand_id: 'nordlicht', date: '2026-03-29', status: 'succeeded', trigger: 'backfill' }),
    ])
    // The demo leaves 30 days of runs per brand for the console: scheduled nights, a few failing
    // first (the demo's outage, recorded in the run) and succeeding on their retry.
    const history = await flex(['runs', '--brand', 'nordlicht', '--limit', '100', '--json'], env)
    const nights = JSON.parse(history.stdout) as {
      date: string
      status: string
      trigger: string
      error: string | null
    }[]
    const scheduled = nights.filter((run) => run.trigger === 'schedule')
    expect(new Set(scheduled.map((run) => run.date)).size).toBe(29)
    const failed = await flex(['runs', '--failed', '--json'], env)
    const failures = JSON.parse(failed.stdout) as { date: string; error: string }[]
    expect(failures.length).toBeGreaterThan(0)
    expect(failures.every((run) => run.error.includes('demo outage'))).toBe(true)
    for (const failure of failures.filter((run) => nights.some((night) => night.date === run.date))) {
      expect(nights.some((night) => night.date === failure.date && night.status === 'succeeded')).toBe(true)
    }

    const customers = path.join(dest, 'customers.ndjson')
    await writeFile(customers, '{"id":"C-1","updated_at":"2026-03-01T10:00:00Z"}\nnot json\n')
    const rejects = path.join(dest, 'rejected.ndjson')
    const ingested = await flex(
      ['ingest', '--brand', 'nordlicht', '--entity', 'customers', customers, '--rejects', rejects],
      env,
    )
    expect(ingested.code, ingested.stderr).toBe(3)
    expect(ingested.stdout).toMatch(/^2 lines: 1 created, .* 1 rejected\nrejected lines, with reasons: /)
    expect(JSON.parse(await readFile(rejects, 'utf8'))).toMatchObject({ line: 2 })

    const created = await flex(['apikey', 'create', '--brand', 'nordlicht', '--json'], env)
    expect(created.code).toBe(0)
    const key = JSON.parse(created.stdout) as { id: string; brandId: string; key: string }
    expect(key.brandId).toBe('nordlicht')
    const signed = await flex(['apikey', 'create', '--brand', 'nordlicht', '--require-signature'], env)
    expect(signed.stdout).toMatch(/^key id: .*\nkey: +\S+\nsigning secret: \S+\n/)
    expect(await flex(['apikey', 'revoke', key.id], env)).toMatchObject({ code: 0, stdout: `key ${key.id} revoked\n` })
    const revokedAgain = await flex(['apikey', 'revoke', key.id], env)
    expect(revokedAgain).toMatchObject({ code: 2, stdout: '' })
    expect(revokedAgain.stderr).toMatch(/^flex apikey: no live key .*: revoked already/)
  }, 240_000)

  it('runs the schedule until SIGTERM, exporting the due day on its first tick, then exits 0', async () => {
    const env = await databaseEnv()
    expect((await flex(['migrate'], env)).code).toBe(0)
    expect((await flex(['brands', 'add', 'sched', '--timezone', 'Pacific/Auckland'], env)).code).toBe(0)
    const dest = await mkdtemp(path.join(tmpdir(), 'flex-schedule-'))
    const schedule = startFlex(['schedule', '--dest', dest], { env })
    try {
      await schedule.waitFor('the first tick to export the due day', () =>
        schedule.stderr().includes('"action":"exported"'),
      )
    } finally {
      expect(await schedule.stop('SIGTERM')).toBe(0)
    }
    expect(schedule.stderr()).toContain('stopping: waiting for a running export to finish')
    expect(schedule.stderr()).toContain('"signal":"SIGTERM"')
    const runs = JSON.parse((await flex(['runs', '--brand', 'sched', '--json'], env)).stdout)
    expect(runs).toEqual([expect.objectContaining({ status: 'succeeded', trigger: 'schedule' })])
    // The run's end is read when it ends, not copied from the tick that started it.
    expect(Date.parse(runs[0].ended_at)).toBeGreaterThan(Date.parse(runs[0].started_at))
  })
})
