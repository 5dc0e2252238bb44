import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { tempFolder } from '../support/fixtures.ts'

const body = (text: string) => Readable.from([Buffer.from(text)])
const csv = { contentType: 'text/csv' }

describe('LocalFolder', () => {
  it('writes, reads, lists and deletes objects by relative path', async () => {
    const folder = await tempFolder()
    await folder.write('b/dt=2026-01-02/x.csv', body('two'), csv)
    await folder.write('b/dt=2026-01-01/x.csv', body('one'), csv)
    expect(await folder.list('b/')).toEqual(['b/dt=2026-01-01/x.csv', 'b/dt=2026-01-02/x.csv'])
    expect((await folder.read('b/dt=2026-01-01/x.csv'))?.toString()).toBe('one')
    await folder.delete('b/dt=2026-01-01/x.csv')
    await folder.delete('b/dt=2026-01-01/x.csv')
    expect(await folder.read('b/dt=2026-01-01/x.csv')).toBeUndefined()
    expect(await folder.list('missing/')).toEqual([])
  })

  it('keeps the previous object and leaves no temporary file when a write fails midway', async () => {
    const folder = await tempFolder()
    await folder.write('a/x.csv', body('old'), csv)
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'))
        this.destroy(new Error('source broke'))
      },
    })
    await expect(folder.write('a/x.csv', failing, csv)).rejects.toThrow('source broke')
    expect((await folder.read('a/x.csv'))?.toString()).toBe('old')
    expect(await readdir(path.join(folder.root, 'a'))).toEqual(['x.csv'])
  })

  it('refuses paths that leave the folder', async () => {
    const folder = await tempFolder()
    await expect(folder.write('../escape.csv', body('x'), csv)).rejects.toThrow(/escapes the destination folder/)
    await expect(folder.read('a/../../escape.csv')).rejects.toThrow(/escapes the destination folder/)
  })
})
