import { randomBytes } from 'node:crypto'
import { CRC32C } from '@google-cloud/storage'
import { describe, expect, it } from 'vitest'
import { Crc32cValidator, crc32c, crc32cBase64 } from '../../src/storage/crc32c.ts'

describe('crc32c', () => {
  it('gives the standard check value and matches the storage client, in one piece or in chunks', () => {
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283')
    for (const size of [0, 1, 7, 8, 9, 1000, 65_537]) {
      const data = randomBytes(size)
      const reference = new CRC32C()
      reference.update(data)
      expect(crc32cBase64(data), `size ${size}`).toBe(reference.toString())
      const chunked = new Crc32cValidator()
      for (let at = 0; at < size; at += 333) chunked.update(data.subarray(at, at + 333))
      expect(chunked.toString(), `size ${size}`).toBe(reference.toString())
      expect(chunked.validate(reference.toString())).toBe(true)
      expect(chunked.validate('AAAAAA==')).toBe(size === 0 && reference.toString() === 'AAAAAA==')
    }
  })
})
