import { randomUUID } from 'node:crypto'
import { GcsError } from './gcs-error.ts'
import type { GcsRequest, GcsResponse } from './gcs-exchange.ts'
import { headerValue, parseJson } from './gcs-exchange.ts'
import { parseMultipartRelated } from './multipart-related.ts'
import { ContentBuilder, type ObjectContent } from './object-content.ts'
import { objectResource } from './object-resource.ts'
import type { ObjectFields, ObjectStore, StoredObject } from './object-store.ts'
import { readObjectFields, readRecord } from './object-store.ts'

interface ResumableSession {
  readonly bucket: string
  readonly name: string
  readonly fields: ObjectFields
  /** The initiating query: its `if*Match` preconditions are checked again when the object is committed. */
  readonly query: URLSearchParams
  /** From X-Upload-Content-Length, when the client announced the size up front. */
  readonly declaredSize: number | undefined
  /** The bytes received so far (hashed, and kept unless the server drops data). */
  readonly content: ContentBuilder
  committed: StoredObject | undefined
}

type ContentRange =
  | { readonly kind: 'status'; readonly total: number | undefined }
  /** `end` undefined: `bytes a-*`, the body is the rest of the object (the client's single-request form). */
  | {
      readonly kind: 'data'
      readonly start: number
      readonly end: number | undefined
      readonly total: number | undefined
    }

/** `uploadType=multipart` and the `uploadType=resumable` protocol (initiate, chunks, status queries). */
export class UploadHandlers {
  readonly #store: ObjectStore
  readonly #publicUrl: string
  readonly #keepData: boolean
  readonly #sessions = new Map<string, ResumableSession>()

  constructor(store: ObjectStore, publicUrl: string, keepData: boolean) {
    this.#store = store
    this.#publicUrl = publicUrl
    this.#keepData = keepData
  }

  multipart(req: GcsRequest): GcsResponse {
    const contentType = headerValue(req.headers, 'content-type') ?? ''
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1]
    if (!/^multipart\/related\b/i.test(contentType) || boundary === undefined) {
      throw GcsError.badRequest(
        `multipart upload needs Content-Type multipart/related with a boundary, got "${contentType}"`,
      )
    }
    const parts = parseMultipartRelated(req.body, boundary)
    const [metadataPart, mediaPart] = parts
    if (parts.length !== 2 || metadataPart === undefined || mediaPart === undefined) {
      throw GcsError.badRequest(`multipart upload needs a metadata part and a media part, got ${parts.length} parts`)
    }
    const json = readRecord(parseJson(metadataPart.body), 'object metadata')
    const fields = readObjectFields(json)
    const name = objectName(req.query, json)
    // Metadata wins over the media part's Content-Type, as in GCS; both are stored verbatim.
    const mediaType = fields.contentType ?? mediaPart.headers['content-type']
    const content = ContentBuilder.of(mediaPart.body, this.#keepData)
    checkHashes(content, { crc32c: json.crc32c, md5: json.md5Hash })
    const object = this.#store.write(req.bucket, name, content, { ...fields, contentType: mediaType }, req.query)
    return { status: 200, body: objectResource(object, this.#publicUrl) }
  }

  initiateResumable(req: GcsRequest): GcsResponse {
    const json = req.body.length > 0 ? readRecord(parseJson(req.body), 'object metadata') : {}
    const fields = readObjectFields(json)
    const name = objectName(req.query, json)
    // Refuse up front, as GCS does, rather than after the client has sent every byte.
    this.#store.checkPreconditions(req.bucket, name, req.query)
    const declaredSize = headerValue(req.headers, 'x-upload-content-length')
    const id = randomUUID()
    this.#sessions.set(id, {
      bucket: req.bucket,
      name,
      // The client moves contentType out of the JSON body into this header.
      fields: { ...fields, contentType: fields.contentType ?? headerValue(req.headers, 'x-upload-content-type') },
      query: new URLSearchParams(req.query),
      declaredSize: declaredSize === undefined ? undefined : Number(declaredSize),
      content: new ContentBuilder(this.#keepData),
      committed: undefined,
    })
    const session = new URLSearchParams({ uploadType: 'resumable', name, upload_id: id })
    const location = `${this.#publicUrl}/upload/storage/v1/b/${encodeURIComponent(req.bucket)}/o?${session}`
    return { status: 200, headers: { Location: location } }
  }

  putResumable(req: GcsRequest): GcsResponse {
    const id = req.query.get('upload_id') ?? ''
    const session = this.#sessions.get(id)
    if (!session) throw GcsError.notFound(`No such upload session: ${id}`)
    if (session.committed) return { status: 200, body: objectResource(session.committed, this.#publicUrl) }
    const range = parseContentRange(headerValue(req.headers, 'content-range'))
    const received = session.content.size
    if (range.kind === 'status') {
      return range.total === received ? this.#commit(session, req) : progress(session)
    }
    if (range.start > received) {
      throw GcsError.badRequest(`chunk starts at byte ${range.start} but the session holds ${received} bytes`)
    }
    if (range.end !== undefined && range.end - range.start + 1 !== req.body.length) {
      throw GcsError.badRequest(
        `Content-Range covers ${range.end - range.start + 1} bytes but the body has ${req.body.length}`,
      )
    }
    // A chunk may overlap bytes already held (the client resends from the offset it last heard).
    const fresh = req.body.subarray(received - range.start)
    const total = range.total ?? session.declaredSize
    if (total !== undefined && received + fresh.length > total) {
      throw GcsError.badRequest(`received ${received + fresh.length} bytes for an object of ${total}`)
    }
    session.content.append(fresh)
    const complete = range.end === undefined || session.content.size === total
    return complete ? this.#commit(session, req) : progress(session)
  }

  #commit(session: ResumableSession, req: GcsRequest): GcsResponse {
    const content = session.content.content()
    checkHashes(content, parseGoogHash(headerValue(req.headers, 'x-goog-hash')))
    session.committed = this.#store.write(session.bucket, session.name, content, session.fields, session.query)
    return { status: 200, body: objectResource(session.committed, this.#publicUrl) }
  }
}

/** 308 "Resume Incomplete", with the bytes held so far; no Range header while there are none. */
function progress(session: ResumableSession): GcsResponse {
  const received = session.content.size
  return { status: 308, headers: received > 0 ? { Range: `bytes=0-${received - 1}` } : {} }
}

function objectName(query: URLSearchParams, json: Readonly<Record<string, unknown>>): string {
  const name = query.get('name') ?? json.name
  if (typeof name !== 'string' || name === '') throw GcsError.badRequest('upload needs an object name')
  return name
}

function parseContentRange(header: string | undefined): ContentRange {
  const status = header === undefined ? null : /^bytes \*\/(\d+|\*)$/.exec(header)
  if (status?.[1] !== undefined) return { kind: 'status', total: toSize(status[1]) }
  // `-1` as the end byte is what the client sends for an empty final chunk (`bytes 0--1/0`).
  const data = header === undefined ? null : /^bytes (\d+)-(-1|\d+|\*)\/(\d+|\*)$/.exec(header)
  if (data?.[1] === undefined || data[2] === undefined || data[3] === undefined) {
    throw GcsError.badRequest(`unsupported Content-Range "${header ?? ''}"`)
  }
  return { kind: 'data', start: Number(data[1]), end: toSize(data[2]), total: toSize(data[3]) }
}

function toSize(value: string): number | undefined {
  return value === '*' ? undefined : Number(value)
}

function parseGoogHash(header: string | undefined): { crc32c?: string; md5?: string } {
  const hashes: Record<string, string> = {}
  for (const pair of header?.split(',') ?? []) {
    const equals = pair.indexOf('=')
    if (equals > 0) hashes[pair.slice(0, equals).trim()] = pair.slice(equals + 1).trim()
  }
  return hashes
}

/** Rejects an upload whose client-declared hashes do not match its bytes, as GCS does (400). */
function checkHashes(content: ObjectContent, declared: { crc32c?: unknown; md5?: unknown }): void {
  if (typeof declared.crc32c === 'string' && declared.crc32c !== content.crc32c) {
    throw GcsError.badRequest(
      `Provided CRC32C "${declared.crc32c}" doesn't match calculated CRC32C "${content.crc32c}".`,
    )
  }
  if (typeof declared.md5 === 'string' && declared.md5 !== content.md5Hash) {
    throw GcsError.badRequest(
      `Provided MD5 hash "${declared.md5}" doesn't match calculated MD5 hash "${content.md5Hash}".`,
    )
  }
}
