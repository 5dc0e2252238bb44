import { Writable } from 'node:stream'
import { pino } from 'pino'
import { beforeAll, describe, expect, it } from 'vitest'
import { runsCommand } from '../../src/cli/runs.ts'
import { loadConfig } from '../../src/config.ts'
import { generateDemoData } from '../../src/demo/demo-data.ts'
import { abandonedRunError, listRuns, startRun } from '../../src/exports/export-runs.ts'
import { readManifest, verifyManifest } from '../../src/exports/manifest.ts'
import { type BrandAction, NightlyScheduler } from '../../src/exports/nightly-scheduler.ts'
import type { Destination } from '../../src/storage/destination.ts'
import { addBrand, silentLog, tempFolder } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()

type Tick = BrandAction & { at: string }

/** A simulated clock: it stands still until the test sets it or moves it on. */
class TestClock {
  #ms = 0
  readonly now = (): Date => new Date(this.#ms)
  set(iso: string): void {
    this.#ms = Date.parse(iso)
  }
  advance(ms: number): void {
    this.#ms += ms
  }
}

/** Ticks every `stepMinutes` from `from` to `to` (UTC), as cron would, collecting the actions. */
async function runClock(
  scheduler: NightlyScheduler,
  clock: TestClock,
  from: string,
  to: string,
  stepMinutes = 10,
): Promise<Tick[]> {
  const actions: Tick[] = []
  for (let t = Date.parse(from); t <= Date.parse(to); t += stepMinutes * 60_000) {
    const at = new Date(t).toISOString()
    clock.set(at)
    for (const action of await scheduler.tick()) actions.push({ ...action, at })
  }
  return actions
}

const exported = (actions: Tick[], brand: string) =>
  actions.filter((a) => a.brand === brand && a.action === 'exported').map((a) => `${a.date} at ${a.at}`)

function capturingLog(): { log: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = []
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()))
      callback()
    },
  })
  return { log: pino({ level: 'warn' }, sink), lines }
}

describe('NightlyScheduler', () => {
  beforeAll(async () => {
    await addBrand(database.current.handle.db, 'ny', 'America/New_York')
    await addBrand(database.current.handle.db, 'berlin', 'Europe/Berlin')
  })

  it('exports each day exactly once from 02:00 local, across both DST changes in New York and Berlin', async () => {
    const clock = new TestClock()
    const nightly = new NightlyScheduler({
      database: database.current.handle,
      destination: await tempFolder(),
      log: silentLog,
      clock: clock.now,
    })
    // The first tick catches up the most recent due day; then one export per night.
    const usSpring = await runClock(nightly, clock, '2026-03-07T00:00:00Z', '2026-03-10T12:00:00Z')
    expect(exported(usSpring, 'ny')).toEqual([
      '2026-03-05 at 2026-03-07T00:00:00.000Z',
      '2026-03-06 at 2026-03-07T07:00:00.000Z', // 02:00 EST
      '2026-03-07 at 2026-03-08T07:00:00.000Z', // 02:00 does not exist: 03:00 EDT
      '2026-03-08 at 2026-03-09T06:00:00.000Z', // 02:00 EDT
      '2026-03-09 at 2026-03-10T06:00:00.000Z',
    ])
    const euSpring = await runClock(nightly, clock, '2026-03-28T12:00:00Z', '2026-03-30T12:00:00Z')
    expect(exported(euSpring, 'berlin')).toEqual([
      '2026-03-27 at 2026-03-28T12:00:00.000Z',
      '2026-03-28 at 2026-03-29T01:00:00.000Z', // 02:00 CET does not exist: 03:00 CEST
      '2026-03-29 at 2026-03-30T00:00:00.000Z', // 02:00 CEST
    ])
    const euFall = await runClock(nightly, clock, '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z')
    expect(exported(euFall, 'berlin')).toEqual([
      '2026-10-23 at 2026-10-24T12:00:00.000Z',
      '2026-10-24 at 2026-10-25T00:00:00.000Z', // 02:00 CEST; 02:00-03:00 comes again at 01:00Z
      '2026-10-25 at 2026-10-26T01:00:00.000Z', // 02:00 CET
    ])
    const usFall = await runClock(nightly, clock, '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z')
    expect(exported(usFall, 'ny')).toEqual([
      '2026-10-30 at 2026-10-31T12:00:00.000Z',
      '2026-10-31 at 2026-11-01T07:00:00.000Z', // clocks go from 02:00 EDT back to 01:00: 02:00 EST
      '2026-11-01 at 2026-11-02T07:00:00.000Z',
    ])
  })

  it('retries a failed brand-day after a pause, and reports it once when the 04:00 deadline passes', async () => {
    const folder = await tempFolder()
    let failuresLeft = 3
    const flaky: Destination = Object.assign(Object.create(folder), {
      write: async (...args: Parameters<Destination['write']>) => {
        if (args[0].startsWith('berlin/') && failuresLeft > 0) {
          failuresLeft--
          args[1].destroy()
          throw new Error('503 Service Unavailable')
        }
        return folder.write(...args)
      },
    })
    const { log, lines } = capturingLog()
    const clock = new TestClock()
    const nightly = new NightlyScheduler({
      database: database.current.handle,
      destination: flaky,
      log,
      retryAfterMs: 30 * 60_000,
      clock: clock.now,
    })
    // Berlin 2026-05-12: run time 02:00 CEST = 00:00Z, deadline 04:00 CEST = 02:00Z.
    const actions = await runClock(nightly, clock, '2026-05-12T00:00:00Z', '2026-05-12T03:30:00Z')
    const berlin = actions.filter((a) => a.brand === 'berlin' && a.date === '2026-05-11')
    expect(berlin.filter((a) => a.action === 'failed').map((a) => a.at)).toEqual([
      '2026-05-12T00:00:00.000Z',
      '2026-05-12T00:30:00.000Z',
      '2026-05-12T01:00:00.000Z',
    ])
    expect(berlin.find((a) => a.action === 'exported')?.at).toBe('2026-05-12T01:30:00.000Z')
    expect(lines.filter((l) => l.level === 50)).toEqual([])

    failuresLeft = 100
    const late = await runClock(nightly, clock, '2026-05-13T00:00:00Z', '2026-05-13T03:00:00Z')
    expect(late.some((a) => a.brand === 'berlin' && a.action === 'exported')).toBe(false)
    const errors = lines.filter((l) => l.level === 50).map((l) => l.msg)
    expect(errors).toEqual([
      expect.stringMatching(
        /export of brand berlin for 2026-05-12 is not complete by its 04:00 Europe\/Berlin deadline: no manifest in .* \(export of brand berlin, 2026-05-12, file campaigns .* failed: 503 Service Unavailable\)/,
      ),
    ])
  })

  it('records when a scheduled run started and when it ended, and flex runs shows how long it took', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'slow', 'Europe/Berlin')
    const clock = new TestClock()
    const folder = await tempFolder()
    let slowWrites = 0
    // A bucket that takes 20 s per object: the run's duration is the time its writes took.
    const slowBucket: Destination = Object.assign(Object.create(folder), {
      write: async (...args: Parameters<Destination['write']>) => {
        if (args[0].startsWith('slow/')) {
          slowWrites++
          clock.advance(20_000)
        }
        return folder.write(...args)
      },
    })
    const nightly = new NightlyScheduler({
      database: database.current.handle,
      destination: slowBucket,
      log: silentLog,
      clock: clock.now,
    })
    clock.set('2026-06-02T00:00:00Z') // 02:00 CEST: 2026-06-01 is due
    expect(await nightly.tick()).toContainEqual(
      expect.objectContaining({ brand: 'slow', date: '2026-06-01', action: 'exported' }),
    )
    expect(slowWrites).toBeGreaterThanOrEqual(6) // five files and the manifest
    const [run] = await listRuns(db, { brandId: 'slow' })
    expect(run).toMatchObject({
      status: 'succeeded',
      trigger: 'schedule',
      started_at: new Date('2026-06-02T00:00:00Z'),
      ended_at: new Date(Date.parse('2026-06-02T00:00:00Z') + slowWrites * 20_000),
    })

    const printed: string[] = []
    const code = await runsCommand.run(
      { values: { brand: 'slow' }, positionals: [] },
      {
        config: loadConfig({}),
        log: silentLog,
        print: (line) => printed.push(line),
        // The command closes what it opens; this file's database stays open for the next tests.
        openDatabase: async () => ({ ...database.current.handle, close: async () => {} }),
      },
    )
    expect(code).toBe(0)
    expect(printed).toEqual([
      expect.stringMatching(
        new RegExp(
          `^2026-06-02T00:00:00.000Z\\tslow\\t2026-06-01\\tsucceeded\\tschedule\\t.*\\t${slowWrites * 20}\\.0 s$`,
        ),
      ),
    ])
  })

  it('counts the retry pause from when the failed attempt ended, not from the tick that started it', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'hanging', 'Europe/Berlin')
    const clock = new TestClock()
    const folder = await tempFolder()
    let failuresLeft = 1
    // The first write hangs for 10 minutes, then fails: the attempt ends at 00:10, not at 00:00.
    const hangingBucket: Destination = Object.assign(Object.create(folder), {
      write: async (...args: Parameters<Destination['write']>) => {
        if (args[0].startsWith('hanging/') && failuresLeft > 0) {
          failuresLeft--
          clock.advance(10 * 60_000)
          args[1].destroy()
          throw new Error('504 Gateway Timeout')
        }
        return folder.write(...args)
      },
    })
    const nightly = new NightlyScheduler({
      database: database.current.handle,
      destination: hangingBucket,
      log: silentLog,
      clock: clock.now,
    })
    const tickAt = async (at: string) => {
      clock.set(at)
      return (await nightly.tick()).find((a) => a.brand === 'hanging')
    }
    expect(await tickAt('2026-06-02T00:00:00Z')).toMatchObject({ date: '2026-06-01', action: 'failed' })
    // 14 minutes after the tick that started it, but 4 after it failed: the 5-minute pause holds.
    expect(await tickAt('2026-06-02T00:14:00Z')).toMatchObject({ date: '2026-06-01', action: 'waiting-to-retry' })
    expect(await tickAt('2026-06-02T00:15:00Z')).toMatchObject({ date: '2026-06-01', action: 'exported' })
    const runs = await listRuns(db, { brandId: 'hanging' })
    expect(runs.map((r) => [r.status, r.started_at.toISOString(), r.ended_at?.toISOString()])).toEqual([
      ['succeeded', '2026-06-02T00:15:00.000Z', '2026-06-02T00:15:00.000Z'],
      ['failed', '2026-06-02T00:00:00.000Z', '2026-06-02T00:10:00.000Z'],
    ])
  })

  it('marks a run whose process died failed on its next tick, and exports the day again at once', async () => {
    const { db } = database.current.handle
    await addBrand(db, 'crashed', 'UTC')
    const clock = new TestClock()
    // A run of the due day started at 02:00 by a process that then died: no lock, no progress since.
    await startRun(db, {
      id: '0190c2a4-7f3e-7000-8000-000000000001',
      brandId: 'crashed',
      date: '2026-06-01',
      trigger: 'schedule',
      destination: 'elsewhere',
      at: new Date('2026-06-02T02:00:00Z'),
    })
    const nightly = new NightlyScheduler({
      database: database.current.handle,
      destination: await tempFolder(),
      log: silentLog,
      clock: clock.now,
    })
    clock.set('2026-06-02T02:30:00Z')
    expect((await nightly.tick()).find((a) => a.brand === 'crashed')).toMatchObject({
      date: '2026-06-01',
      action: 'exported',
    })
    const runs = await listRuns(db, { brandId: 'crashed' })
    expect(runs.map((r) => [r.status, r.ended_at?.toISOString(), r.error])).toEqual([
      ['succeeded', '2026-06-02T02:30:00.000Z', null],
      ['failed', '2026-06-02T02:00:00.000Z', abandonedRunError],
    ])
  })

  it('runs a demo-scale night end to end: every demo brand gets all five files and a valid manifest', async () => {
    const { db } = database.current.handle
    await generateDemoData(db, { today: '2026-11-22', customersPerBrand: 500 })
    const folder = await tempFolder()
    const clock = new TestClock()
    const nightly = new NightlyScheduler({
      database: database.current.handle,
      destination: folder,
      log: silentLog,
      clock: clock.now,
    })
    // From 2026-11-22 12:00Z to 2026-11-23 12:00Z every brand passes its 02:00 and 04:00.
    const actions = await runClock(nightly, clock, '2026-11-22T12:00:00Z', '2026-11-23T12:00:00Z', 15)
    for (const [brand, date] of [
      ['nordlicht', '2026-11-22'],
      ['maple-market', '2026-11-22'],
      ['sakura-mart', '2026-11-22'],
    ] as const) {
      expect(exported(actions, brand).map((a) => a.slice(0, 10))).toContain(date)
      const manifest = await readManifest(folder, brand, date)
      expect(manifest?.files.map((f) => f.file_type)).toEqual([
        'campaigns',
        'campaign_customers',
        'campaign_skus',
        'opt_outs',
        'link_stats',
      ])
      expect(manifest && (await verifyManifest(folder, manifest))).toEqual([])
    }
    expect(actions.filter((a) => a.action === 'failed')).toEqual([])
  })
})
