import { PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type Bucket, type File, IdempotencyStrategy, Storage, type StorageOptions } from '@google-cloud/storage'
import { FlexError } from '../errors.ts'
import { Crc32cValidator } from './crc32c.ts'
import type { Destination, ObjectStat, WriteOptions, WrittenObject } from './destination.ts'

/**
 * Retry policy for every request the client sends: 429, 5xx and dropped connections are retried
 * with exponential backoff and jitter, but only when the request is idempotent. Writes carry
 * generation preconditions, which make them so (RetryConditional, the client's default).
 */
export const gcsRetryOptions: NonNullable<StorageOptions['retryOptions']> = {
  autoRetry: true,
  maxRetries: 6,
  retryDelayMultiplier: 2,
  maxRetryDelay: 32,
  totalTimeout: 600,
  idempotencyStrategy: IdempotencyStrategy.RetryConditional,
}

/** Client options for production: the retry policy, and a CRC32C ten times faster than the client's. */
export const gcsClientOptions: StorageOptions = {
  retryOptions: gcsRetryOptions,
  crc32cGenerator: () => new Crc32cValidator(),
}

/** Upload chunk: each is buffered and retried on its own, so a failure does not restart the file. */
const defaultChunkSize = 4 * 1024 * 1024

/**
 * A prefix in a Google Cloud Storage bucket, through the official client with Application Default
 * Credentials (or STORAGE_EMULATOR_HOST, which the client honours, for a local server). Every
 * write is a streamed resumable upload with CRC32C validation and an ifGenerationMatch
 * precondition: 0 for a new object, the current generation when replacing one.
 */
export class GcsBucket implements Destination {
  readonly bucket: Bucket
  readonly prefix: string
  readonly #chunkSize: number

  /** chunkSize: bytes per resumable upload request, a multiple of 256 KiB (default 8 MiB). */
  constructor(storage: Storage, bucketName: string, prefix = '', options: { chunkSize?: number } = {}) {
    this.bucket = storage.bucket(bucketName)
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`
    this.#chunkSize = options.chunkSize ?? defaultChunkSize
  }

  /** `gs://bucket/prefix` -> a destination, with the client configured for retries. */
  static fromUrl(url: string, storage = new Storage(gcsClientOptions)): GcsBucket {
    const match = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:\/(.*))?$/.exec(url)
    if (!match) throw new FlexError('USAGE', `invalid bucket URL "${url}": use gs://BUCKET or gs://BUCKET/PREFIX`)
    return new GcsBucket(storage, match[1] as string, match[2] ?? '')
  }

  get description(): string {
    return `gs://${this.bucket.name}${this.prefix === '' ? '' : `/${this.prefix.slice(0, -1)}`}`
  }

  async checkWritable(): Promise<void> {
    let exists: boolean
    try {
      ;[exists] = await this.bucket.exists()
    } catch (error) {
      throw new FlexError(
        'DESTINATION_UNWRITABLE',
        `cannot reach ${this.description}: ${(error as Error).message}. Check the credentials (gcloud auth application-default login, or the service account) and the bucket name.`,
        { cause: error },
      )
    }
    if (!exists) {
      throw new FlexError(
        'DESTINATION_UNWRITABLE',
        `bucket ${this.bucket.name} does not exist; create it or fix --dest`,
      )
    }
  }

  async write(path: string, body: Readable, options: WriteOptions): Promise<WrittenObject> {
    const file = this.file(path)
    const generation = await this.currentGeneration(file)
    const upload = file.createWriteStream({
      resumable: true,
      chunkSize: this.#chunkSize,
      validation: 'crc32c',
      // Stored as given: a .csv.gz keeps its gzip bytes (no Content-Encoding, which would make
      // GCS serve it decompressed).
      contentType: options.contentType,
      metadata: { contentType: options.contentType, metadata: { ...options.metadata } },
      preconditionOpts: { ifGenerationMatch: generation },
    })
    // While the client sends one chunk and waits for its reply it takes no more data; a chunk's
    // worth of buffer in front of it lets the export keep producing meanwhile.
    await pipeline(body, new PassThrough({ highWaterMark: this.#chunkSize }), upload)
    const final = options.finalMetadata?.()
    if (final !== undefined) {
      // Same generation, next metageneration: the precondition makes the retried PATCH safe.
      await file.setMetadata(
        { metadata: { ...options.metadata, ...final } },
        { ifMetagenerationMatch: Number(file.metadata.metageneration) },
      )
    }
    return { generation: String(file.metadata.generation), crc32c: String(file.metadata.crc32c) }
  }

  async stat(path: string): Promise<ObjectStat | undefined> {
    try {
      const [metadata] = await this.file(path).getMetadata()
      return { bytes: Number(metadata.size), generation: String(metadata.generation) }
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  async read(path: string): Promise<Buffer | undefined> {
    try {
      const [data] = await this.file(path).download()
      return data
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  /**
   * Deletes the live generation. The generation precondition makes the delete idempotent, so the
   * client retries it on 429, 5xx and dropped connections; without one it would not.
   */
  async delete(path: string): Promise<void> {
    const file = this.file(path)
    const generation = await this.currentGeneration(file)
    if (generation === 0) return
    try {
      await file.delete({ ifGenerationMatch: generation })
    } catch (error) {
      if (!isNotFound(error)) throw error
    }
  }

  async list(prefix: string): Promise<string[]> {
    const [files] = await this.bucket.getFiles({ prefix: this.prefix + prefix, autoPaginate: true })
    return files.map((f) => f.name.slice(this.prefix.length)).sort()
  }

  private file(path: string): File {
    return this.bucket.file(this.prefix + path)
  }

  /** The live object's generation, or 0 (the "does not exist" precondition) when there is none. */
  private async currentGeneration(file: File): Promise<number> {
    try {
      const [metadata] = await file.getMetadata()
      return Number(metadata.generation)
    } catch (error) {
      if (isNotFound(error)) return 0
      throw error
    }
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === 404
}
