import { GcsError } from './gcs-error.ts'
import type { GcsRequest, GcsResponse } from './gcs-exchange.ts'
import { headerValue, parseJson } from './gcs-exchange.ts'
import { objectEtag, objectResource } from './object-resource.ts'
import type { ObjectStore, StoredObject } from './object-store.ts'
import { readRecord } from './object-store.ts'

// List parameters that would change which objects come back; ignoring them would silently
// return wrong pages, so they fail loudly instead.
const UNSUPPORTED_LIST_PARAMETERS = [
  'matchGlob',
  'startOffset',
  'endOffset',
  'includeTrailingDelimiter',
  'includeFoldersAsPrefixes',
]

/** Reads and changes of existing objects (everything that is not an upload). */
export class ObjectHandlers {
  readonly #store: ObjectStore
  readonly #publicUrl: string

  constructor(store: ObjectStore, publicUrl: string) {
    this.#store = store
    this.#publicUrl = publicUrl
  }

  getBucket(req: GcsRequest): GcsResponse {
    if (!this.#store.hasBucket(req.bucket))
      throw GcsError.notFound(`The specified bucket does not exist: ${req.bucket}`)
    return { status: 200, body: { kind: 'storage#bucket', id: req.bucket, name: req.bucket } }
  }

  getObject(req: GcsRequest): GcsResponse {
    return { status: 200, body: objectResource(this.#read(req), this.#publicUrl) }
  }

  downloadObject(req: GcsRequest): GcsResponse {
    const object = this.#read(req)
    if (!object.dataKept) {
      throw GcsError.notFound(`${req.bucket}/${object.name}: the test server runs with keepData: false`)
    }
    const size = object.size
    const headers: Record<string, string> = {
      'Content-Type': object.contentType,
      ETag: objectEtag(object),
      'x-goog-generation': object.generation,
      'x-goog-metageneration': object.metageneration,
      // Hashes of the whole object even for ranges, as GCS does; the client checks them only on
      // full reads, and only when the stored encoding says the bytes are served as stored.
      'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
      'x-goog-stored-content-length': String(size),
      'x-goog-stored-content-encoding': object.contentEncoding ?? 'identity',
    }
    // Bytes are always served exactly as stored (no decompressive transcoding), so a gzip object
    // arrives with its Content-Encoding and the client decides whether to gunzip.
    if (object.contentEncoding) headers['Content-Encoding'] = object.contentEncoding
    const range = parseRange(headerValue(req.headers, 'range'), size)
    if (range === 'unsatisfiable') {
      return new GcsError(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.').toResponse()
    }
    if (!range) return { status: 200, headers, body: object.data }
    return {
      status: 206,
      headers: { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${size}` },
      body: object.data.subarray(range.start, range.end + 1),
    }
  }

  listObjects(req: GcsRequest): GcsResponse {
    const { query } = req
    const unsupported = UNSUPPORTED_LIST_PARAMETERS.find((name) => query.has(name))
    if (unsupported) throw GcsError.notImplemented(`listing with ${unsupported}`)
    if (query.get('versions') === 'true') throw GcsError.notImplemented('listing object versions')
    const prefix = query.get('prefix') ?? ''
    const delimiter = query.get('delimiter') ?? ''
    const maxResults = Number(query.get('maxResults') ?? 1000)
    if (!Number.isInteger(maxResults) || maxResults < 1)
      throw GcsError.badRequest('maxResults must be a positive integer')
    const pageToken = query.get('pageToken')
    const after = pageToken === null ? undefined : Buffer.from(pageToken, 'base64url').toString('utf8')

    // One sorted sequence of entries (objects, and prefixes standing for all the objects below
    // them), so that maxResults and page tokens count both, as GCS does.
    const entries: { key: string; object?: StoredObject }[] = []
    for (const object of sortedByName(this.#store.objects(req.bucket).values())) {
      if (!object.name.startsWith(prefix)) continue
      const cut = delimiter ? object.name.indexOf(delimiter, prefix.length) : -1
      const key = cut === -1 ? object.name : object.name.slice(0, cut + delimiter.length)
      if (cut !== -1 && entries.at(-1)?.key === key) continue
      entries.push(cut === -1 ? { key, object } : { key })
    }
    const remaining = after === undefined ? entries : entries.filter((entry) => compareUtf8(entry.key, after) > 0)
    const page = remaining.slice(0, maxResults)
    const items = page.flatMap((entry) => (entry.object ? [objectResource(entry.object, this.#publicUrl)] : []))
    const prefixes = page.flatMap((entry) => (entry.object ? [] : [entry.key]))
    const last = page.at(-1)
    return {
      status: 200,
      body: {
        kind: 'storage#objects',
        ...(items.length > 0 && { items }),
        ...(prefixes.length > 0 && { prefixes }),
        ...(remaining.length > page.length && last && { nextPageToken: Buffer.from(last.key).toString('base64url') }),
      },
    }
  }

  patchObject(req: GcsRequest): GcsResponse {
    const patch = readRecord(parseJson(req.body), 'the PATCH body')
    const object = this.#store.patch(req.bucket, this.#name(req), patch, req.query)
    return { status: 200, body: objectResource(object, this.#publicUrl) }
  }

  deleteObject(req: GcsRequest): GcsResponse {
    this.#store.delete(req.bucket, this.#name(req), req.query)
    return { status: 204 }
  }

  #read(req: GcsRequest): StoredObject {
    const object = this.#store.require(req.bucket, this.#name(req))
    const generation = req.query.get('generation')
    // Only the live generation is kept, so asking for any other one finds nothing.
    if (generation !== null && generation !== object.generation) {
      throw GcsError.notFound(`No such object: ${req.bucket}/${object.name}#${generation}`)
    }
    this.#store.checkPreconditions(req.bucket, object.name, req.query)
    return object
  }

  #name(req: GcsRequest): string {
    if (req.object === undefined) throw GcsError.badRequest('missing object name')
    return req.object
  }
}

// GCS orders names by their UTF-8 bytes, which differs from JS string order outside the BMP.
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

function sortedByName(objects: Iterable<StoredObject>): StoredObject[] {
  return [...objects].sort((a, b) => compareUtf8(a.name, b.name))
}

function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match || (match[1] === '' && match[2] === '')) return undefined // absent or multi-range: whole object
  if (match[1] === '') {
    const suffix = Number(match[2])
    return suffix === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(match[1])
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
  return start >= size || end < start ? 'unsatisfiable' : { start, end }
}
