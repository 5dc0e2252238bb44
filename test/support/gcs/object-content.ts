import { createHash, type Hash } from 'node:crypto'
import { crc32c, crc32cToBase64 } from '../../../src/storage/crc32c.ts'

/** An object's bytes (when kept) and what GCS reports about them. */
export interface ObjectContent {
  /** The bytes, or undefined when the server does not keep them (`keepData: false`). */
  readonly data: Buffer | undefined
  readonly size: number
  readonly crc32c: string
  readonly md5Hash: string
}

/**
 * Collects an upload's bytes chunk by chunk, hashing as they arrive. With `keepData` false the
 * chunks are hashed, counted and dropped, so the server's memory does not grow with the upload.
 */
export class ContentBuilder {
  readonly #chunks: Buffer[] | undefined
  readonly #md5: Hash = createHash('md5')
  #crc32c = 0
  #size = 0

  constructor(keepData: boolean) {
    this.#chunks = keepData ? [] : undefined
  }

  static of(data: Buffer, keepData: boolean): ObjectContent {
    const builder = new ContentBuilder(keepData)
    builder.append(data)
    return builder.content()
  }

  get size(): number {
    return this.#size
  }

  append(chunk: Buffer): void {
    this.#chunks?.push(chunk)
    this.#md5.update(chunk)
    this.#crc32c = crc32c(chunk, this.#crc32c)
    this.#size += chunk.length
  }

  /** The content so far; appending may go on afterwards (a failed commit leaves the session open). */
  content(): ObjectContent {
    return {
      data: this.#chunks && Buffer.concat(this.#chunks),
      size: this.#size,
      crc32c: crc32cToBase64(this.#crc32c),
      md5Hash: this.#md5.copy().digest('base64'),
    }
  }
}
