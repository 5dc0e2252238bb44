// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as GCS computes it. Kept independent of the
// client's own implementation so that a bug there cannot hide behind a matching bug here.
const TABLE = buildTable()

function buildTable(): Uint32Array {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
}

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of data) crc = (TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** The form GCS uses in object resources and `x-goog-hash`: base64 of the big-endian 32-bit value. */
export function crc32cBase64(data: Uint8Array): string {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32BE(crc32c(data))
  return bytes.toString('base64')
}
