import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import { parse } from 'csv-parse/sync'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportDay } from '../../src/exports/export-day.ts'
import { listRuns } from '../../src/exports/export-runs.ts'
import { exportFiles } from '../../src/exports/files/index.ts'
import { dataPath, manifestPath, quarantinePath } from '../../src/exports/layout.ts'
import { readManifest, verifyManifest } from '../../src/exports/manifest.ts'
import type { Destination, WriteOptions } from '../../src/storage/destination.ts'
import { GcsBucket, gcsClientOptions } from '../../src/storage/gcs-bucket.ts'
import { addBrand, addCampaign, addMessage, silentLog, tempFolder } from '../support/fixtures.ts'
import { type GcsTestServer, startGcsTestServer } from '../support/gcs-test-server.ts'
import { multiSessionSkipReason, useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()
const db = () => database.current.handle.db

const run = (destination: Destination, brand: { id: string; timezone: string }, date: string, gzip = false) =>
  exportDay({ database: database.current.handle, destination, brand, date, gzip, log: silentLog })

const csvRows = (text: string) => parse(text, { columns: true, bom: false }) as Record<string, string>[]

// Every behaviour holds for both destinations: a local folder, and a bucket on the GCS JSON API
// test server through the real client.
let server: GcsTestServer
let buckets = 0
beforeAll(async () => {
  server = await startGcsTestServer()
})
afterAll(async () => {
  await server?.close()
})

const destinations: [string, () => Promise<Destination>][] = [
  ['local folder', tempFolder],
  [
    'GCS bucket',
    async () => {
      const name = `day-${++buckets}`
      server.createBucket(name)
      const storage = server.storage({ crc32cGenerator: gcsClientOptions.crc32cGenerator })
      return new GcsBucket(storage, name, 'exports', { chunkSize: 256 * 1024 })
    },
  ],
]

/** A stored object's text, or '' when there is none. */
async function readText(destination: Destination, relative: string): Promise<string> {
  return (await destination.read(relative))?.toString('utf8') ?? ''
}

describe.each(destinations)('exportDay into a %s', (_kind, newDestination) => {
  const berlin = { id: 'berlin', timezone: 'Europe/Berlin' }
  const newYork = { id: 'new-york', timezone: 'America/New_York' }

  beforeAll(async () => {
    await addBrand(db(), berlin.id, berlin.timezone)
    await addBrand(db(), newYork.id, newYork.timezone)
    // Berlin, 2026-06-15 is [2026-06-14T22:00Z, 2026-06-15T22:00Z).
    await addCampaign(db(), { brand_id: 'berlin', id: 'before', updated_at: '2026-06-14T21:59:59.999Z' })
    await addCampaign(db(), { brand_id: 'berlin', id: 'first', updated_at: '2026-06-14T22:00:00Z' })
    await addCampaign(db(), { brand_id: 'berlin', id: 'last', updated_at: '2026-06-15T21:59:59.999999Z' })
    await addCampaign(db(), { brand_id: 'berlin', id: 'after', updated_at: '2026-06-15T22:00:00Z' })
    // New York, 2026-03-08 (23 hours) is [2026-03-08T05:00Z, 2026-03-09T04:00Z).
    await addCampaign(db(), { brand_id: 'new-york', id: 'ny-early', updated_at: '2026-03-08T04:59:59Z' })
    await addCampaign(db(), { brand_id: 'new-york', id: 'ny-start', updated_at: '2026-03-08T05:00:00Z' })
    await addCampaign(db(), { brand_id: 'new-york', id: 'ny-end', updated_at: '2026-03-09T03:59:59Z' })
    await addCampaign(db(), { brand_id: 'new-york', id: 'ny-next', updated_at: '2026-03-09T04:00:00Z' })
  })

  it("takes exactly the rows changed in the brand's local day, boundaries included", async () => {
    const folder = await newDestination()
    await run(folder, berlin, '2026-06-15')
    const rows = csvRows(await readText(folder, dataPath('berlin', 'campaigns', '2026-06-15', false)))
    expect(rows.map((r) => r.campaign_id)).toEqual(['first', 'last'])
    expect(rows.map((r) => r.updated_at)).toEqual(['2026-06-14T22:00:00Z', '2026-06-15T21:59:59.999999Z'])
  })

  it('follows the 23-hour day when New York springs forward', async () => {
    const folder = await newDestination()
    const { manifest } = await run(folder, newYork, '2026-03-08')
    expect(manifest.window).toEqual({ start: '2026-03-08T05:00:00.000Z', end: '2026-03-09T04:00:00.000Z' })
    const rows = csvRows(await readText(folder, dataPath('new-york', 'campaigns', '2026-03-08', false)))
    expect(rows.map((r) => r.campaign_id)).toEqual(['ny-end', 'ny-start'])
  })

  it('writes a header row in every file and a manifest with zero rows for an empty day', async () => {
    const folder = await newDestination()
    const result = await run(folder, berlin, '2020-01-01')
    expect(result.rows).toBe(0)
    expect(result.manifest.files.map((f) => f.file_type)).toEqual(exportFiles.map((f) => f.name))
    for (const file of result.manifest.files) {
      const text = await readText(folder, file.path)
      expect(text).toBe(`${file.columns.join(',')}\r\n`)
      expect(file.rows).toBe(0)
    }
  })

  it('lists every file with size and sha256 matching the bytes on disk', async () => {
    const folder = await newDestination()
    const { manifest, manifestPath: where } = await run(folder, berlin, '2026-06-15')
    expect(where).toBe(manifestPath('berlin', '2026-06-15'))
    expect(await readManifest(folder, 'berlin', '2026-06-15')).toEqual(manifest)
    for (const file of manifest.files) {
      const bytes = (await folder.read(file.path)) as Buffer
      expect(bytes.length).toBe(file.bytes)
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256)
    }
    expect(await verifyManifest(folder, manifest)).toEqual([])
  })

  it('re-running a day replaces its files with byte-identical ones and keeps one manifest', async () => {
    const folder = await newDestination()
    const first = await run(folder, berlin, '2026-06-15')
    const second = await run(folder, berlin, '2026-06-15')
    expect(second.manifest.run_id).not.toBe(first.manifest.run_id)
    // Same bytes; a bucket gives the replaced objects new generations.
    const withoutGeneration = (files: typeof first.manifest.files) => files.map(({ generation, ...file }) => file)
    expect(withoutGeneration(second.manifest.files)).toEqual(withoutGeneration(first.manifest.files))
    expect(await folder.list('berlin/_manifests/')).toEqual([manifestPath('berlin', '2026-06-15')])
  })

  it('re-running with gzip replaces the plain files, and the gzip bytes hold the same CSV', async () => {
    const folder = await newDestination()
    const plain = await run(folder, berlin, '2026-06-15')
    const gzipped = await run(folder, berlin, '2026-06-15', true)
    const campaignsGz = dataPath('berlin', 'campaigns', '2026-06-15', true)
    expect(await folder.list('berlin/campaigns/')).toEqual([campaignsGz])
    const unzipped = gunzipSync((await folder.read(campaignsGz)) as Buffer)
    expect(createHash('sha256').update(unzipped).digest('hex')).toBe(plain.manifest.files[0]?.sha256)
    expect(gzipped.manifest.gzip).toBe(true)
    expect(await verifyManifest(folder, gzipped.manifest)).toEqual([])
  })

  it('keeps a row that fails validation out of the data file, quarantines it and counts it', async () => {
    await addBrand(db(), 'bad', 'UTC')
    await addCampaign(db(), { brand_id: 'bad', id: 'c1', updated_at: '2026-05-01T10:00:00Z' })
    await addMessage(db(), {
      brand_id: 'bad',
      campaign_id: 'c1',
      customer_id: 'ok',
      updated_at: '2026-05-01T10:00:00Z',
    })
    // PostgreSQL accepts these; the export contract does not (no instant, no exact decimal).
    await addMessage(db(), {
      brand_id: 'bad',
      campaign_id: 'c1',
      customer_id: 'broken',
      sent_at: 'infinity',
      attributed_revenue: 'NaN',
      updated_at: '2026-05-01T11:00:00Z',
    })
    const folder = await newDestination()
    const result = await run(folder, { id: 'bad', timezone: 'UTC' }, '2026-05-01')
    const rows = csvRows(await readText(folder, dataPath('bad', 'campaign_customers', '2026-05-01', false)))
    expect(rows.map((r) => r.customer_id)).toEqual(['ok'])
    expect(result.quarantinedRows).toBe(1)
    const entry = result.manifest.files.find((f) => f.file_type === 'campaign_customers')
    expect(entry?.quarantined_rows).toBe(1)
    expect(result.manifest.quarantine).toEqual([
      { file_type: 'campaign_customers', path: quarantinePath('bad', 'campaign_customers', '2026-05-01'), rows: 1 },
    ])
    const [line] = (await readText(folder, quarantinePath('bad', 'campaign_customers', '2026-05-01')))
      .trim()
      .split('\n')
    const quarantined = JSON.parse(line as string)
    expect(quarantined.key).toEqual({ brand_id: 'bad', campaign_id: 'c1', customer_id: 'broken', channel: 'email' })
    expect(quarantined.errors.map((e: { field: string }) => e.field).sort()).toEqual(['attributed_revenue', 'sent_at'])
  })

  it('fails the file and leaves the day without a manifest when bad rows exceed the limit', async () => {
    await addBrand(db(), 'worse', 'UTC')
    await addCampaign(db(), { brand_id: 'worse', id: 'c1', updated_at: '2026-05-02T10:00:00Z' })
    for (const customer of ['a', 'b', 'c']) {
      await addMessage(db(), {
        brand_id: 'worse',
        campaign_id: 'c1',
        customer_id: customer,
        attributed_revenue: 'NaN',
        updated_at: '2026-05-02T10:00:00Z',
      })
    }
    const folder = await newDestination()
    await expect(
      exportDay({
        database: database.current.handle,
        destination: folder,
        brand: { id: 'worse', timezone: 'UTC' },
        date: '2026-05-02',
        log: silentLog,
        maxQuarantinedRows: 2,
      }),
    ).rejects.toThrow(
      /brand worse, 2026-05-02, file campaign_customers .*more than 2 rows failed validation; first: campaign_customers row brand_id=worse campaign_id=c1 customer_id=a channel=email: attributed_revenue/,
    )
    expect(await folder.read(manifestPath('worse', '2026-05-02'))).toBeUndefined()
  })

  it('removes the previous manifest when a re-run fails, naming brand, file and object', async () => {
    const folder = await newDestination()
    await run(folder, berlin, '2026-06-15')
    const failing: Destination = Object.assign(Object.create(folder), {
      write: async (relative: string, body: Readable, options: { contentType: string }) => {
        if (relative.includes('campaign_skus')) {
          body.destroy()
          throw new Error('disk full')
        }
        return folder.write(relative, body, options)
      },
    })
    await expect(run(failing, berlin, '2026-06-15')).rejects.toThrow(
      /brand berlin, 2026-06-15, file campaign_skus \(.*berlin\/campaign_skus\/dt=2026-06-15\/campaign_skus.csv\) failed: disk full/,
    )
    expect(await folder.read(manifestPath('berlin', '2026-06-15'))).toBeUndefined()
    // The connection went back to the pool in a usable state: the next run works.
    const again = await run(folder, berlin, '2026-06-15')
    expect(await verifyManifest(folder, again.manifest)).toEqual([])
  })

  it('records every attempt in export_runs, with its outcome', async () => {
    const folder = await newDestination()
    const { manifest } = await run(folder, berlin, '2026-06-15')
    const [latest] = await listRuns(db(), { brandId: 'berlin', date: '2026-06-15', limit: 1 })
    expect(latest).toMatchObject({
      id: manifest.run_id,
      status: 'succeeded',
      trigger: 'manual',
      files: 5,
      rows: '2',
      destination: folder.description,
      error: null,
    })
    const failing: Destination = Object.assign(Object.create(folder), {
      write: async () => {
        throw new Error('bucket gone')
      },
    })
    await expect(run(failing, berlin, '2026-06-16')).rejects.toThrow(/bucket gone/)
    const [failed] = await listRuns(db(), { brandId: 'berlin', failedOnly: true })
    expect(failed).toMatchObject({ date: '2026-06-16', status: 'failed', error: expect.stringMatching(/bucket gone/) })
    expect(failed?.ended_at).toBeInstanceOf(Date)
  })

  it('adds one EXPORTS.DAILY.COMPLETED event naming the run when a day completes, and none when it fails', async () => {
    const folder = await newDestination()
    const events = () =>
      db()
        .selectFrom('outbox_events')
        .select(['event_type', 'entity_type', 'entity_id'])
        .where('brand_id', '=', 'berlin')
        .where('event_type', '=', 'EXPORTS.DAILY.COMPLETED')
        .execute()
    const before = (await events()).length
    const { manifest } = await run(folder, berlin, '2026-06-17')
    const after = await events()
    expect(after.length).toBe(before + 1)
    expect(after).toContainEqual({
      event_type: 'EXPORTS.DAILY.COMPLETED',
      entity_type: 'export_runs',
      entity_id: manifest.run_id,
    })
    const failing: Destination = Object.assign(Object.create(folder), {
      write: async () => {
        throw new Error('bucket gone')
      },
    })
    await expect(run(failing, berlin, '2026-06-18')).rejects.toThrow(/bucket gone/)
    expect((await events()).length).toBe(before + 1)
  })

  it('lets only one process export a brand-day at a time', async (context) => {
    const reason = multiSessionSkipReason(database.current.kind)
    if (reason) context.skip(reason)
    const folder = await newDestination()
    // Hold the brand-day's lock from another session, as a concurrent export would.
    const other = await database.current.handle.pool.connect()
    try {
      await other.query('begin')
      await other.query(`select pg_advisory_xact_lock(hashtext('flex:export'), hashtext('berlin/2026-06-15'))`)
      await expect(run(folder, berlin, '2026-06-15')).rejects.toThrow(
        /brand berlin, 2026-06-15 is being exported by another process/,
      )
      expect(await folder.list('')).toEqual([])
      await other.query('rollback')
    } finally {
      other.release()
    }
    await run(folder, berlin, '2026-06-15')
    expect(await folder.read(manifestPath('berlin', '2026-06-15'))).toBeDefined()
  })

  it('fails the file cleanly, naming brand, file and object, when the database connection is lost', async (context) => {
    const reason = multiSessionSkipReason(database.current.kind)
    if (reason) context.skip(reason)
    await addBrand(db(), 'lost', 'UTC')
    await addCampaign(db(), { brand_id: 'lost', id: 'c1', updated_at: '2026-05-03T10:00:00Z' })
    await sql`
      insert into campaign_messages (brand_id, campaign_id, customer_id, channel, status, created_at, updated_at)
      select 'lost', 'c1', 'customer-' || g, 'email', 'sent', '2026-05-03T10:00:00Z', '2026-05-03T10:00:00Z'
      from generate_series(1, 50000) g
      on conflict do nothing`.execute(db())
    const folder = await newDestination()
    // Kill the export's backend as soon as its first file is written.
    const killing: Destination = Object.assign(Object.create(folder), {
      write: async (relative: string, body: Readable, options: WriteOptions) => {
        if (relative.includes('campaign_customers')) {
          await sql`select pg_terminate_backend(pid) from pg_stat_activity
                    where datname = current_database() and pid <> pg_backend_pid() and query like 'select "brand_id"%'`.execute(
            db(),
          )
        }
        return folder.write(relative, body, options)
      },
    })
    await expect(run(killing, { id: 'lost', timezone: 'UTC' }, '2026-05-03')).rejects.toThrow(
      /brand lost, 2026-05-03, file campaign_customers \(.*lost\/campaign_customers\/dt=2026-05-03\/campaign_customers.csv\) failed: terminating connection/,
    )
    expect(await folder.read(manifestPath('lost', '2026-05-03'))).toBeUndefined()
    expect(await folder.list('lost/campaign_customers/')).toEqual([])
    // The pool replaces the dead connection: the next run completes the day.
    const again = await run(folder, { id: 'lost', timezone: 'UTC' }, '2026-05-03')
    expect(again.manifest.files[1]?.rows).toBe(50000)
  })

  it('writes values by the CSV contract: quoting, NULL versus empty, booleans, decimals, instants', async () => {
    await addBrand(db(), 'csv', 'UTC')
    const tricky = ['Winter, "big" sale', 'line\nbreak', 'carriage\r\nreturn', 'Zoë Ünïcödé 山田 🎉', ' padded ', '']
    for (const [i, name] of tricky.entries()) {
      await addCampaign(db(), {
        brand_id: 'csv',
        id: `c${i}`,
        name,
        subject: i === 0 ? null : name,
        budget: i === 1 ? '123456789012.99' : '0.10',
        currency: 'EUR',
        scheduled_at: '2026-04-01T08:30:00.123+02:00',
        updated_at: '2026-04-01T12:00:00Z',
      })
    }
    const folder = await newDestination()
    await run(folder, { id: 'csv', timezone: 'UTC' }, '2026-04-01')
    const text = await readText(folder, dataPath('csv', 'campaigns', '2026-04-01', false))
    expect(text.startsWith('\uFEFF')).toBe(false)
    const rows = csvRows(text)
    expect(rows.map((r) => r.name)).toEqual(tricky)
    expect(rows[0]?.subject).toBe('')
    expect(rows[1]?.budget).toBe('123456789012.99')
    expect(rows[0]?.scheduled_at).toBe('2026-04-01T06:30:00.123Z')
    // NULL is an empty field, an empty string a quoted one.
    expect(text).toContain('c0,"Winter, ""big"" sale",email,running,,2026-04-01T06:30:00.123Z')
    expect(text).toContain('c5,"",email,running,"",')
  })
})
