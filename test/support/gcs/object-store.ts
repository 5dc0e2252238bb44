import { GcsError } from './gcs-error.ts'
import type { ObjectContent } from './object-content.ts'

/** The writable metadata this server keeps; other fields a client sends are ignored. */
export interface ObjectFields {
  readonly contentType?: string
  readonly contentEncoding?: string
  readonly contentDisposition?: string
  readonly contentLanguage?: string
  readonly cacheControl?: string
  readonly metadata?: Readonly<Record<string, string>>
}

export interface StoredObject extends ObjectFields {
  readonly bucket: string
  readonly name: string
  /** The object's bytes; empty when the server does not keep them (`dataKept` false). */
  readonly data: Buffer
  /** False on a server started with `keepData: false`: `size` and the hashes still describe the upload. */
  readonly dataKept: boolean
  readonly size: number
  /** Decimal string, increasing with every write to the server, as GCS's generations do. */
  readonly generation: string
  readonly metageneration: string
  readonly contentType: string
  readonly metadata: Readonly<Record<string, string>>
  readonly crc32c: string
  readonly md5Hash: string
  readonly timeCreated: string
  readonly updated: string
}

const STRING_FIELDS = [
  'contentType',
  'contentEncoding',
  'contentDisposition',
  'contentLanguage',
  'cacheControl',
] as const

/** In-memory buckets of objects with GCS's generation and precondition rules. */
export class ObjectStore {
  readonly #buckets = new Map<string, Map<string, StoredObject>>()
  #lastGeneration = 0

  createBucket(name: string): void {
    if (!this.#buckets.has(name)) this.#buckets.set(name, new Map())
  }

  hasBucket(name: string): boolean {
    return this.#buckets.has(name)
  }

  objects(bucket: string): Map<string, StoredObject> {
    return this.#bucket(bucket)
  }

  get(bucket: string, name: string): StoredObject | undefined {
    return this.#bucket(bucket).get(name)
  }

  /** The object, or a 404 in GCS's wording. */
  require(bucket: string, name: string): StoredObject {
    const object = this.get(bucket, name)
    if (!object) throw GcsError.notFound(`No such object: ${bucket}/${name}`)
    return object
  }

  /** Throws a 412 unless the `if*Match` query parameters hold for the object as it is now. */
  checkPreconditions(bucket: string, name: string, query: URLSearchParams): void {
    assertPreconditions(this.get(bucket, name), query)
  }

  write(
    bucket: string,
    name: string,
    content: ObjectContent,
    fields: ObjectFields,
    query: URLSearchParams,
  ): StoredObject {
    const objects = this.#bucket(bucket)
    assertPreconditions(objects.get(name), query)
    const now = new Date().toISOString()
    const object: StoredObject = {
      ...fields,
      bucket,
      name,
      data: content.data ?? Buffer.alloc(0),
      dataKept: content.data !== undefined,
      size: content.size,
      generation: this.#nextGeneration(),
      metageneration: '1',
      contentType: fields.contentType ?? 'application/octet-stream',
      metadata: { ...fields.metadata },
      crc32c: content.crc32c,
      md5Hash: content.md5Hash,
      timeCreated: now,
      updated: now,
    }
    objects.set(name, object)
    return object
  }

  /** PATCH semantics: absent fields stay, `null` removes a field or a custom metadata key. */
  patch(bucket: string, name: string, patch: Readonly<Record<string, unknown>>, query: URLSearchParams): StoredObject {
    const current = this.require(bucket, name)
    assertPreconditions(current, query)
    const fields: Record<string, string | undefined> = {}
    for (const field of STRING_FIELDS) {
      const value = patch[field]
      if (value === null) fields[field] = undefined
      else if (typeof value === 'string') fields[field] = value
      else if (value !== undefined) throw GcsError.badRequest(`${field} must be a string or null`)
    }
    const updated: StoredObject = {
      ...current,
      ...fields,
      contentType: fields.contentType ?? current.contentType,
      metadata: patchMetadata(current.metadata, patch.metadata),
      metageneration: String(Number(current.metageneration) + 1),
      updated: new Date().toISOString(),
    }
    this.#bucket(bucket).set(name, updated)
    return updated
  }

  delete(bucket: string, name: string, query: URLSearchParams): void {
    assertPreconditions(this.require(bucket, name), query)
    this.#bucket(bucket).delete(name)
  }

  #bucket(name: string): Map<string, StoredObject> {
    const objects = this.#buckets.get(name)
    if (!objects) throw GcsError.notFound(`The specified bucket does not exist: ${name}`)
    return objects
  }

  // Microseconds since the epoch like real generations, but strictly increasing even when two
  // writes land in the same microsecond.
  #nextGeneration(): string {
    this.#lastGeneration = Math.max(this.#lastGeneration + 1, Date.now() * 1000)
    return String(this.#lastGeneration)
  }
}

/** Reads the writable fields from upload metadata (JSON), rejecting wrong types with a 400. */
export function readObjectFields(json: unknown): ObjectFields {
  const record = readRecord(json, 'object metadata')
  const fields: Record<string, unknown> = {}
  for (const field of STRING_FIELDS) {
    const value = record[field]
    if (typeof value === 'string') fields[field] = value
    else if (value !== undefined && value !== null) throw GcsError.badRequest(`${field} must be a string`)
  }
  if (record.metadata !== undefined && record.metadata !== null) {
    const metadata: Record<string, string> = {}
    for (const [key, value] of Object.entries(readRecord(record.metadata, 'metadata'))) {
      if (typeof value !== 'string') throw GcsError.badRequest(`metadata.${key} must be a string`)
      metadata[key] = value
    }
    fields.metadata = metadata
  }
  return fields as ObjectFields
}

export function readRecord(value: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw GcsError.badRequest(`${what} must be a JSON object`)
  }
  return value as Record<string, unknown>
}

function patchMetadata(current: Readonly<Record<string, string>>, patch: unknown): Record<string, string> {
  if (patch === undefined) return { ...current }
  if (patch === null) return {}
  const metadata = { ...current }
  for (const [key, value] of Object.entries(readRecord(patch, 'metadata'))) {
    if (value === null) delete metadata[key]
    else if (typeof value === 'string') metadata[key] = value
    else throw GcsError.badRequest(`metadata.${key} must be a string or null`)
  }
  return metadata
}

function assertPreconditions(current: StoredObject | undefined, query: URLSearchParams): void {
  const ifGenerationMatch = query.get('ifGenerationMatch')
  const ifGenerationNotMatch = query.get('ifGenerationNotMatch')
  const ifMetagenerationMatch = query.get('ifMetagenerationMatch')
  const ifMetagenerationNotMatch = query.get('ifMetagenerationNotMatch')
  const generation = current?.generation ?? '0' // generation 0 means "no live object"
  const holds =
    (ifGenerationMatch === null || ifGenerationMatch === generation) &&
    (ifGenerationNotMatch === null || ifGenerationNotMatch !== generation) &&
    (ifMetagenerationMatch === null || ifMetagenerationMatch === current?.metageneration) &&
    (ifMetagenerationNotMatch === null ||
      (current !== undefined && ifMetagenerationNotMatch !== current.metageneration))
  if (!holds) throw GcsError.preconditionFailed()
}
