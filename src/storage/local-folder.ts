import { randomUUID } from 'node:crypto'
import { createWriteStream, type Dirent } from 'node:fs'
import { access, constants, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { FlexError } from '../errors.ts'
import type { Destination, ObjectStat, WriteOptions, WrittenObject } from './destination.ts'

/** A folder on the local disk. Writes go to a temporary file renamed into place when complete. */
export class LocalFolder implements Destination {
  readonly root: string

  constructor(root: string) {
    this.root = path.resolve(root)
  }

  get description(): string {
    return this.root
  }

  async checkWritable(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true })
      await access(this.root, constants.W_OK)
    } catch (error) {
      throw new FlexError(
        'DESTINATION_UNWRITABLE',
        `cannot write to ${this.root}: ${(error as Error).message}. Choose another --dest or fix its permissions.`,
        { cause: error },
      )
    }
  }

  async write(relative: string, body: Readable, _options: WriteOptions): Promise<WrittenObject> {
    const target = this.resolve(relative)
    await mkdir(path.dirname(target), { recursive: true })
    // A dot-file beside the target: same filesystem for an atomic rename, and skipped by the
    // globs and hive-partition readers that analysts point at the folder.
    const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.partial`)
    try {
      await pipeline(body, createWriteStream(temporary))
      await rename(temporary, target)
    } catch (error) {
      await rm(temporary, { force: true })
      throw error
    }
    return {}
  }

  async stat(relative: string): Promise<ObjectStat | undefined> {
    try {
      const info = await stat(this.resolve(relative))
      return info.isFile() ? { bytes: info.size } : undefined
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  async read(relative: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.resolve(relative))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  async delete(relative: string): Promise<void> {
    await rm(this.resolve(relative), { force: true })
  }

  async list(prefix: string): Promise<string[]> {
    const folder = this.resolve(prefix)
    let entries: Dirent[]
    try {
      entries = await readdir(folder, { recursive: true, withFileTypes: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    return entries
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
      .map((entry) => path.relative(this.root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
      .sort()
  }

  private resolve(relative: string): string {
    const full = path.resolve(this.root, relative)
    if (full !== this.root && !full.startsWith(this.root + path.sep)) {
      throw new Error(`path escapes the destination folder: ${relative}`)
    }
    return full
  }
}
