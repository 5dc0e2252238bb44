import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CRC32C, type File, type GetFilesOptions, Storage } from '@google-cloud/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { crc32cBase64 } from '../../src/storage/crc32c.ts'
import { type GcsTestServer, type StoredObject, startGcsTestServer } from '../support/gcs-test-server.ts'

const BUCKET = 'flex-test'
const KiB = 1024
const CHUNK = 256 * KiB

let server: GcsTestServer

beforeEach(async () => {
  server = await startGcsTestServer()
  server.createBucket(BUCKET)
})

afterEach(async () => {
  await server.close()
})

function fileNamed(name: string): File {
  return server.storage().bucket(BUCKET).file(name)
}

function stored(name: string): StoredObject {
  const object = server.objects(BUCKET).get(name)
  if (!object) throw new Error(`expected ${BUCKET}/${name} to be stored`)
  return object
}

/** `operation status [content-range]` per request, the shape most assertions on retries need. */
function exchanges(): string[] {
  return server.requests.map((r) => `${r.operation} ${r.status}${r.contentRange ? ` ${r.contentRange}` : ''}`)
}

/** The data as a stream of small pieces, the way a CSV writer would hand it over. */
function streamOf(data: Buffer, pieceSize = 64 * KiB): Readable {
  const pieces: Buffer[] = []
  for (let offset = 0; offset < data.length; offset += pieceSize) pieces.push(data.subarray(offset, offset + pieceSize))
  return Readable.from(pieces)
}

async function listPage(
  query: GetFilesOptions,
): Promise<{ names: string[]; prefixes: string[]; next?: GetFilesOptions }> {
  const [files, next, response] = await server
    .storage()
    .bucket(BUCKET)
    .getFiles({ ...query, autoPaginate: false })
  const prefixes = (response as { prefixes?: string[] }).prefixes ?? []
  return { names: files.map((file) => file.name), prefixes, ...(next && { next }) }
}

describe('GCS test server', () => {
  it('computes CRC32C as GCS does: the RFC 3720 check value and the same value as the client', () => {
    expect(crc32cBase64(Buffer.from('123456789'))).toBe(Buffer.from('e3069283', 'hex').toString('base64'))
    const data = randomBytes(100_000)
    const client = new CRC32C()
    client.update(data)
    expect(crc32cBase64(data)).toBe(client.toString())
  })

  it('stores a small object from a multipart upload and reads it back byte-identical', async () => {
    const name = 'daily/2026-01-02/orders.csv'
    const data = Buffer.from('id,amount\n1,9.99\n2,"1,5"\n')
    const file = fileNamed(name)
    await file.save(data, { resumable: false, validation: 'crc32c', contentType: 'text/csv; charset=utf-8' })

    const [read] = await file.download({ validation: 'crc32c' })
    expect(read.equals(data)).toBe(true)
    expect(stored(name)).toMatchObject({
      contentType: 'text/csv; charset=utf-8',
      crc32c: crc32cBase64(data),
      metageneration: '1',
    })
    expect(server.requests).toEqual([
      {
        method: 'POST',
        path: `/upload/storage/v1/b/${BUCKET}/o`,
        query: `uploadType=multipart&name=${encodeURIComponent(name)}`,
        operation: 'multipart-upload',
        status: 200,
      },
      {
        method: 'GET',
        path: `/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}`,
        query: 'alt=media',
        operation: 'download-object',
        status: 200,
      },
    ])
  })

  it('stores a large object from a chunked resumable upload and reads it back byte-identical', async () => {
    const data = randomBytes(6 * CHUNK + 123)
    const file = fileNamed('exports/big.ndjson')
    await pipeline(
      streamOf(data),
      file.createWriteStream({ chunkSize: CHUNK, validation: 'crc32c', contentType: 'application/x-ndjson' }),
    )

    const [read] = await file.download({ validation: 'crc32c' })
    expect(read.equals(data)).toBe(true)
    expect(stored('exports/big.ndjson')).toMatchObject({
      contentType: 'application/x-ndjson',
      crc32c: crc32cBase64(data),
    })
    const chunkRanges = [0, 1, 2, 3, 4, 5].map((i) => `resumable-chunk 308 bytes ${i * CHUNK}-${(i + 1) * CHUNK - 1}/*`)
    expect(exchanges()).toEqual([
      'resumable-initiate 200',
      ...chunkRanges,
      `resumable-chunk 200 bytes ${6 * CHUNK}-${data.length - 1}/${data.length}`,
      'download-object 200',
    ])
    expect(server.requests[0]?.query).toBe('name=exports%2Fbig.ndjson&uploadType=resumable')
  })

  it('serves byte ranges of an object', async () => {
    const file = fileNamed('range.txt')
    await file.save('0123456789abcdef', { resumable: false })
    const [middle] = await file.download({ start: 4, end: 9 })
    expect(middle.toString()).toBe('456789')
    expect(server.requests.at(-1)?.status).toBe(206)
  })

  it('creates an object under ifGenerationMatch 0 once, then refuses to overwrite it with 412', async () => {
    const file = fileNamed('once.csv')
    await file.save('first', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })

    await expect(
      file.save('second', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
    ).rejects.toMatchObject({
      code: 412,
    })
    // A resumable upload is refused when the session is opened, before any data is sent.
    await expect(file.save('second', { preconditionOpts: { ifGenerationMatch: 0 } })).rejects.toMatchObject({
      code: 412,
    })
    expect(stored('once.csv').data.toString()).toBe('first')
    expect(exchanges()).toEqual(['multipart-upload 200', 'multipart-upload 412', 'resumable-initiate 412'])
  })

  it('replaces an object under ifGenerationMatch of its current generation, and refuses a stale one', async () => {
    const file = fileNamed('report.csv')
    await file.save('v1', { resumable: false })
    const first = stored('report.csv').generation

    await file.save('v2', { preconditionOpts: { ifGenerationMatch: first } })
    const second = stored('report.csv')
    expect(second.data.toString()).toBe('v2')
    expect(BigInt(second.generation)).toBeGreaterThan(BigInt(first))

    await expect(
      file.save('v3', { resumable: false, preconditionOpts: { ifGenerationMatch: first } }),
    ).rejects.toMatchObject({
      code: 412,
    })
    expect(stored('report.csv').data.toString()).toBe('v2')
  })

  it('lists by prefix and delimiter one page at a time, with sub-folders as prefixes', async () => {
    const names = [
      'exports/2026-01-02/a.csv',
      'exports/2026-01-01/b.csv',
      'exports/2026-01-01/a.csv',
      'exports/readme.txt',
      'exports/manifest.json',
      'other/x.csv',
    ]
    for (const name of names) await fileNamed(name).save(name, { resumable: false })

    const first = await listPage({ prefix: 'exports/', delimiter: '/', maxResults: 3 })
    expect(first).toMatchObject({
      names: ['exports/manifest.json'],
      prefixes: ['exports/2026-01-01/', 'exports/2026-01-02/'],
    })
    expect(first.next).toBeDefined()
    const second = await listPage(first.next ?? {})
    expect(second).toEqual({ names: ['exports/readme.txt'], prefixes: [] })

    const [all] = await server.storage().bucket(BUCKET).getFiles({ prefix: 'exports/2026-01-01/' })
    expect(all.map((file) => file.name)).toEqual(['exports/2026-01-01/a.csv', 'exports/2026-01-01/b.csv'])
  })

  it('deletes an object under a precondition, after which reads fail with a GCS 404', async () => {
    const file = fileNamed('old/report.csv')
    await file.save('bye', { resumable: false })
    const { generation } = stored('old/report.csv')

    await expect(file.delete({ ifGenerationMatch: '1' })).rejects.toMatchObject({ code: 412 })
    await file.delete({ ifGenerationMatch: generation })

    expect(server.objects(BUCKET).has('old/report.csv')).toBe(false)
    await expect(file.getMetadata()).rejects.toMatchObject({
      code: 404,
      message: `No such object: ${BUCKET}/old/report.csv`,
    })
    await expect(file.download()).rejects.toMatchObject({ code: 404 })
    expect(await file.exists()).toEqual([false])
  })

  it('round-trips custom metadata and content type, and patches them under ifMetagenerationMatch', async () => {
    const file = fileNamed('meta.csv')
    const data = Buffer.from('a,b\n')
    await file.save(data, {
      resumable: false,
      metadata: { contentType: 'text/csv', cacheControl: 'no-store', metadata: { rows: '1', brand: 'acme' } },
    })

    const [metadata] = await file.getMetadata()
    expect(metadata).toMatchObject({
      contentType: 'text/csv',
      cacheControl: 'no-store',
      metadata: { rows: '1', brand: 'acme' },
      size: '4',
      metageneration: '1',
      generation: stored('meta.csv').generation,
      crc32c: crc32cBase64(data),
      md5Hash: stored('meta.csv').md5Hash,
    })

    await file.setMetadata({ metadata: { rows: '2', brand: null } }, { ifMetagenerationMatch: 1 })
    expect(stored('meta.csv')).toMatchObject({ metadata: { rows: '2' }, metageneration: '2', contentType: 'text/csv' })
    await expect(file.setMetadata({ metadata: { rows: '3' } }, { ifMetagenerationMatch: 1 })).rejects.toMatchObject({
      code: 412,
    })
    expect(stored('meta.csv').metadata).toEqual({ rows: '2' })
  })

  it('serves a client configured only through STORAGE_EMULATOR_HOST', async () => {
    const previous = process.env.STORAGE_EMULATOR_HOST
    process.env.STORAGE_EMULATOR_HOST = server.url
    try {
      const bucket = new Storage({ projectId: 'test' }).bucket(BUCKET)
      await bucket.file('a/small.txt').save('small', { resumable: false })
      await bucket.file('a/resumable.txt').save('resumable')
      const [files] = await bucket.getFiles({ prefix: 'a/' })
      expect(files.map((file) => file.name)).toEqual(['a/resumable.txt', 'a/small.txt'])
      const [read] = await bucket.file('a/small.txt').download()
      expect(read.toString()).toBe('small')
      // The emulator host is used as the JSON API base as it is, without `/storage/v1`.
      expect(server.requests.slice(-2).map((r) => r.path)).toEqual([`/b/${BUCKET}/o`, `/b/${BUCKET}/o/a%2Fsmall.txt`])
    } finally {
      if (previous === undefined) delete process.env.STORAGE_EMULATOR_HOST
      else process.env.STORAGE_EMULATOR_HOST = previous
    }
  })
})

describe('GCS test server faults', () => {
  it('a 503 on the resumable initiate is retried when a precondition makes the upload idempotent', async () => {
    server.failNext({ match: (r) => r.operation === 'resumable-initiate', kind: { status: 503 } })
    const data = randomBytes(10 * KiB)
    await fileNamed('retried.bin').save(data, { preconditionOpts: { ifGenerationMatch: 0 }, validation: 'crc32c' })

    expect(stored('retried.bin').data.equals(data)).toBe(true)
    expect(exchanges()).toEqual(['resumable-initiate 503', 'resumable-initiate 200', `resumable-chunk 200 bytes 0-*/*`])
  })

  it('a 503 on a chunk makes the client ask for the upload status and resume from there', async () => {
    server.failNext({
      match: (r) => r.operation === 'resumable-chunk' && r.contentRange?.startsWith(`bytes ${2 * CHUNK}-`) === true,
      kind: { status: 503 },
    })
    const data = randomBytes(6 * CHUNK - 1000)
    await pipeline(
      streamOf(data),
      fileNamed('resumed.bin').createWriteStream({
        chunkSize: CHUNK,
        validation: 'crc32c',
        preconditionOpts: { ifGenerationMatch: 0 },
      }),
    )

    expect(stored('resumed.bin').data.equals(data)).toBe(true)
    expect(exchanges().slice(0, 7)).toEqual([
      'resumable-initiate 200',
      `resumable-chunk 308 bytes 0-${CHUNK - 1}/*`,
      `resumable-chunk 308 bytes ${CHUNK}-${2 * CHUNK - 1}/*`,
      `resumable-chunk 503 bytes ${2 * CHUNK}-${3 * CHUNK - 1}/*`,
      'resumable-status 308 bytes */*',
      `resumable-chunk 308 bytes ${2 * CHUNK}-${3 * CHUNK - 1}/*`,
      `resumable-chunk 308 bytes ${3 * CHUNK}-${4 * CHUNK - 1}/*`,
    ])
    expect(exchanges().at(-1)).toBe(`resumable-chunk 200 bytes ${5 * CHUNK}-${data.length - 1}/${data.length}`)
  })

  it('a 429 on a multipart upload with a precondition is retried and succeeds', async () => {
    server.failNext({ match: (r) => r.uploadType === 'multipart', kind: { status: 429 } })
    await fileNamed('rate-limited.csv').save('a,b\n', {
      resumable: false,
      validation: 'crc32c',
      preconditionOpts: { ifGenerationMatch: 0 },
    })

    expect(stored('rate-limited.csv').data.toString()).toBe('a,b\n')
    expect(exchanges()).toEqual(['multipart-upload 429', 'multipart-upload 200'])
  })

  it('status queries report the bytes held, and can be failed, in plain HTTP as well', async () => {
    // The client cannot be driven into a failing status query safely: on a retryable error
    // there it schedules a retry and also carries on from offset 0, failing the upload with a
    // RangeError ("The offset is lower than the number of bytes written").
    const put = (uri: string, contentRange: string, body?: string) =>
      fetch(uri, { method: 'PUT', headers: { 'Content-Range': contentRange }, body, redirect: 'manual' })
    const initiate = await fetch(`${server.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=resumable&name=raw.bin`, {
      method: 'POST',
      headers: { 'X-Upload-Content-Type': 'application/x-raw' },
    })
    const session = initiate.headers.get('location') ?? ''
    expect(session).toContain('upload_id=')
    expect((await put(session, 'bytes */*')).headers.get('range')).toBeNull()
    expect((await put(session, 'bytes 0-3/*', 'abcd')).status).toBe(308)

    server.failNext({ match: (r) => r.operation === 'resumable-status', kind: { status: 503 } })
    const failed = await put(session, 'bytes */*')
    expect(failed.status).toBe(503)
    expect(await failed.json()).toMatchObject({ error: { code: 503, errors: [{ reason: 'backendError' }] } })
    const status = await put(session, 'bytes */*')
    expect([status.status, status.headers.get('range')]).toEqual([308, 'bytes=0-3'])

    const done = await put(session, 'bytes 2-5/6', 'cdef')
    expect(await done.json()).toMatchObject({ name: 'raw.bin', size: '6', contentType: 'application/x-raw' })
    expect(stored('raw.bin').data.toString()).toBe('abcdef')
  })

  it('an upload without a precondition is not retried, since the client cannot know it is safe', async () => {
    server.failNext({ match: (r) => r.uploadType === 'multipart', kind: { status: 503 } })
    await expect(fileNamed('once.csv').save('x', { resumable: false })).rejects.toMatchObject({ code: 503 })
    expect(server.objects(BUCKET).size).toBe(0)
    expect(exchanges()).toEqual(['multipart-upload 503'])
  })

  it('reads whose connection dropped before any response are retried', async () => {
    const data = randomBytes(300 * KiB)
    const file = fileNamed('dropped.bin')
    await file.save(data, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })
    server.failNext({ match: (r) => r.operation === 'download-object', kind: { kind: 'drop' } })
    server.failNext({ match: (r) => r.operation === 'list-objects', kind: { kind: 'drop' } })

    const [read] = await file.download({ validation: 'crc32c' })
    expect(read.equals(data)).toBe(true)
    const [files] = await server.storage().bucket(BUCKET).getFiles()
    expect(files.map((f) => f.name)).toEqual(['dropped.bin'])
    expect(exchanges()).toEqual([
      'multipart-upload 200',
      'download-object 0',
      'download-object 200',
      'list-objects 0',
      'list-objects 200',
    ])
  })

  it('a save() without a precondition leaves the client with retries switched off (client quirk)', async () => {
    // save() turns off `retryOptions.autoRetry` on the Storage object for a non-idempotent
    // upload and, on the multipart path, never turns it back on: later reads are not retried.
    const file = fileNamed('quirk.csv')
    await file.save('a,b\n', { resumable: false })
    server.failNext({ match: (r) => r.operation === 'get-object', kind: { kind: 'drop' } })

    await expect(file.getMetadata()).rejects.toThrow(/socket hang up/)
    expect(exchanges()).toEqual(['multipart-upload 200', 'get-object 0'])
  })
})
