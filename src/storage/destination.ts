import type { Readable } from 'node:stream'

export interface WriteOptions {
  /** MIME type stored with the object where the destination keeps one. */
  readonly contentType: string
  /** Small string metadata stored with the object where the destination keeps it. */
  readonly metadata?: Readonly<Record<string, string>>
  /** Metadata known only once the body has been read (a row count), added after the upload. */
  readonly finalMetadata?: () => Readonly<Record<string, string>>
}

export interface WrittenObject {
  /** Object generation, for destinations that version objects (GCS). */
  readonly generation?: string
  /** CRC32C the destination computed, base64 (GCS). */
  readonly crc32c?: string
}

export interface ObjectStat {
  readonly bytes: number
  readonly generation?: string
}

/**
 * Where export files go: a local folder or a GCS bucket. Paths are relative, with `/`
 * separators. A write replaces what was at the path only once the whole body is stored, so a
 * reader sees the old object or the new one, never half of one.
 */
export interface Destination {
  /** For messages: the folder path or bucket URL. */
  readonly description: string
  /** Fails with DESTINATION_UNWRITABLE when writes cannot succeed, before any work is done. */
  checkWritable(): Promise<void>
  write(path: string, body: Readable, options: WriteOptions): Promise<WrittenObject>
  /** Size (and generation, where versioned) of an object, or undefined when there is none. */
  stat(path: string): Promise<ObjectStat | undefined>
  /** The object's bytes, or undefined when there is none. */
  read(path: string): Promise<Buffer | undefined>
  /** Removes the object; no error when it does not exist. */
  delete(path: string): Promise<void>
  /** Paths of the objects under a prefix (a folder path ending in `/`), sorted. */
  list(prefix: string): Promise<string[]>
}
