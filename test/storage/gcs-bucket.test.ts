import { createHash } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dayStatus } from '../../src/exports/day-status.ts'
import { exportDay } from '../../src/exports/export-day.ts'
import { dataPath, manifestPath } from '../../src/exports/layout.ts'
import { readManifest, verifyManifest } from '../../src/exports/manifest.ts'
import { GcsBucket, gcsClientOptions } from '../../src/storage/gcs-bucket.ts'
import { addBrand, addCampaign, silentLog } from '../support/fixtures.ts'
import { type GcsTestServer, startGcsTestServer } from '../support/gcs-test-server.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The export into a bucket, through the real @google-cloud/storage client talking HTTP to the
// GCS JSON API test server, faults included.

const database = useTestDatabase()
const brand = { id: 'gcs', timezone: 'Europe/Berlin' }
const date = '2026-07-01'
const KiB = 1024
let server: GcsTestServer
let bucketCount = 0

/** A fresh bucket with the exports under a prefix; small chunks so files span several requests. */
function freshBucket(): GcsBucket {
  const name = `exports-${++bucketCount}`
  server.createBucket(name)
  // The test server's fast retries, with the production client's CRC32C validation.
  const storage = server.storage({ crc32cGenerator: gcsClientOptions.crc32cGenerator })
  return new GcsBucket(storage, name, 'prod/retail', { chunkSize: 256 * KiB })
}

const run = (destination: GcsBucket, gzip = false) =>
  exportDay({ database: database.current.handle, destination, brand, date, gzip, log: silentLog })

const stored = (destination: GcsBucket, relative: string) => {
  const object = server.objects(destination.bucket.name).get(`prod/retail/${relative}`)
  if (!object) throw new Error(`no object ${relative}`)
  return object
}

beforeAll(async () => {
  server = await startGcsTestServer()
  const { db } = database.current.handle
  await addBrand(db, brand.id, brand.timezone)
  await addCampaign(db, { brand_id: brand.id, id: 'c1', name: 'Sommer, "heiß"', updated_at: '2026-07-01T10:00:00Z' })
  // About 700 KiB of campaign_customers: three upload chunks.
  await sql`
    insert into campaign_messages (brand_id, campaign_id, customer_id, channel, status, sent_at, created_at, updated_at)
    select ${brand.id}, 'c1', 'customer-' || lpad(g::text, 7, '0'), 'email', 'sent', '2026-07-01T08:00:00Z',
           '2026-07-01T08:00:00Z', '2026-07-01T08:00:00Z'
    from generate_series(1, 6000) g`.execute(db)
})

afterAll(async () => {
  await server?.close()
})

describe('export into a GCS bucket', () => {
  it('writes every file and a manifest that records each object generation and crc32c', async () => {
    const bucket = freshBucket()
    const { manifest } = await run(bucket)
    expect(manifest.files.map((f) => f.rows)).toEqual([1, 6000, 0, 0, 0])
    for (const file of manifest.files) {
      const object = stored(bucket, file.path)
      expect(file.generation).toBe(object.generation)
      expect(file.crc32c).toBe(object.crc32c)
      expect(createHash('sha256').update(object.data).digest('hex')).toBe(file.sha256)
      expect(object.contentType).toBe('text/csv; charset=utf-8')
      expect(object.metadata).toMatchObject({ run_id: manifest.run_id, schema_version: '1', rows: String(file.rows) })
    }
    expect(await readManifest(bucket, brand.id, date)).toEqual(manifest)
    expect(await verifyManifest(bucket, manifest)).toEqual([])
    expect(await dayStatus(bucket, brand.id, date, false)).toEqual({ complete: true })
  })

  it('re-running replaces objects under generation preconditions, with identical bytes', async () => {
    const bucket = freshBucket()
    const first = await run(bucket)
    const second = await run(bucket)
    for (const [a, b] of first.manifest.files.map((f, i) => [f, second.manifest.files[i]] as const)) {
      expect(Number(b?.generation)).toBeGreaterThan(Number(a.generation))
      expect(b?.sha256).toBe(a.sha256)
    }
    const uploads = server.requests.filter(
      (r) => r.operation === 'resumable-initiate' && r.path.includes(bucket.bucket.name),
    )
    expect(uploads.every((r) => /ifGenerationMatch=\d+/.test(r.query))).toBe(true)
    // A day whose object was replaced behind the manifest's back is no longer complete.
    await bucket.bucket.file(`prod/retail/${dataPath(brand.id, 'campaigns', date, false)}`).save('x', {
      preconditionOpts: { ifGenerationMatch: Number(second.manifest.files[0]?.generation) },
    })
    expect(await dayStatus(bucket, brand.id, date, false)).toMatchObject({ complete: false })
  })

  it('stores .csv.gz as the gzip bytes, without Content-Encoding', async () => {
    const bucket = freshBucket()
    const { manifest } = await run(bucket, true)
    const object = stored(bucket, dataPath(brand.id, 'campaign_customers', date, true))
    expect(object.contentEncoding).toBeUndefined()
    expect(gunzipSync(object.data).toString('utf8')).toMatch(/^brand_id,campaign_id,customer_id/)
    expect(manifest.files[1]?.bytes).toBe(object.data.length)
  })

  it('retries 503s, 429s, 500s and dropped connections and still completes the day', async () => {
    const bucket = freshBucket()
    await run(bucket)
    // The re-run deletes the old manifest and replaces every object: fault each kind of request.
    const name = bucket.bucket.name
    const inBucket = (path: string) => path.includes(`/b/${name}/`)
    server.failNext({ match: (r) => r.operation === 'resumable-initiate' && inBucket(r.path), kind: { status: 503 } })
    server.failNext({
      match: (r) => r.operation === 'resumable-chunk' && r.contentRange?.startsWith(`bytes ${256 * KiB}-`) === true,
      kind: { status: 429 },
    })
    server.failNext({ match: (r) => r.method === 'GET' && inBucket(r.path), kind: { kind: 'drop' } })
    server.failNext({ match: (r) => r.method === 'DELETE' && inBucket(r.path), kind: { status: 500 } })
    const before = server.requests.length
    const { manifest } = await run(bucket)
    expect(await verifyManifest(bucket, manifest)).toEqual([])
    const failed = server.requests.slice(before).filter((r) => r.status === 0 || r.status >= 429)
    expect(failed.map((r) => r.status).sort()).toEqual([0, 429, 500, 503])
  })

  it('fails with brand, file and object named, and leaves no manifest, when the bucket keeps failing', async () => {
    const bucket = freshBucket()
    await run(bucket)
    let broken = true
    server.failNext({
      match: (r) =>
        broken && r.operation === 'resumable-initiate' && r.query.get('name')?.includes('campaign_skus') === true,
      times: 1_000,
      kind: { status: 503 },
    })
    await expect(run(bucket)).rejects.toThrow(
      /brand gcs, 2026-07-01, file campaign_skus \(gs:\/\/exports-\d+\/prod\/retail\/gcs\/campaign_skus\/dt=2026-07-01\/campaign_skus.csv\) failed/,
    )
    expect(await bucket.read(manifestPath(brand.id, date))).toBeUndefined()
    // Once the bucket recovers, the next run completes the day.
    broken = false
    const again = await run(bucket)
    expect(await verifyManifest(bucket, again.manifest)).toEqual([])
  })
})
