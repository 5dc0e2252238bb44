import type { StoredObject } from './object-store.ts'

/** The JSON API's object resource (`storage#object`) for a stored object. */
export function objectResource(object: StoredObject, publicUrl: string): Record<string, unknown> {
  const bucket = encodeURIComponent(object.bucket)
  const name = encodeURIComponent(object.name)
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${publicUrl}/storage/v1/b/${bucket}/o/${name}`,
    mediaLink: `${publicUrl}/download/storage/v1/b/${bucket}/o/${name}?generation=${object.generation}&alt=media`,
    bucket: object.bucket,
    name: object.name,
    generation: object.generation,
    metageneration: object.metageneration,
    contentType: object.contentType,
    contentEncoding: object.contentEncoding,
    contentDisposition: object.contentDisposition,
    contentLanguage: object.contentLanguage,
    cacheControl: object.cacheControl,
    storageClass: 'STANDARD',
    size: String(object.size),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: objectEtag(object),
    timeCreated: object.timeCreated,
    updated: object.updated,
    timeStorageClassUpdated: object.timeCreated,
    // GCS leaves `metadata` out when there is none; the client treats both alike.
    metadata: Object.keys(object.metadata).length > 0 ? object.metadata : undefined,
  }
}

export function objectEtag(object: StoredObject): string {
  return Buffer.from(`${object.generation}/${object.metageneration}`).toString('base64')
}
