/** What a request asks for, named so that fault matchers and assertions can read like the API. */
export type GcsOperation =
  | 'multipart-upload'
  | 'media-upload'
  | 'resumable-initiate'
  | 'resumable-chunk'
  | 'resumable-status'
  | 'get-bucket'
  | 'list-objects'
  | 'get-object'
  | 'download-object'
  | 'patch-object'
  | 'delete-object'
  | 'unsupported'

export interface GcsRoute {
  readonly operation: GcsOperation
  readonly bucket?: string
  /** Decoded object name: the client sends it URL-encoded as one path segment (`/` as `%2F`). */
  readonly object?: string
}

const UPLOAD_PATH = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/
const DOWNLOAD_PATH = /^\/download\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/
// With STORAGE_EMULATOR_HOST the client uses that URL itself as the JSON API base, without
// `/storage/v1`, so both forms name the same resources.
const JSON_API_PATH = /^(?:\/storage\/v1)?\/b\/([^/]+)(?:\/o(?:\/(.+))?)?$/

/** Classifies a request from its method, still-encoded path, query and Content-Range header. */
export function routeGcsRequest(
  method: string,
  pathname: string,
  query: URLSearchParams,
  contentRange: string | undefined,
): GcsRoute {
  const upload = UPLOAD_PATH.exec(pathname)
  if (upload?.[1] !== undefined) {
    const bucket = decodeURIComponent(upload[1])
    const uploadType = query.get('uploadType')
    if (method === 'POST' && uploadType === 'multipart') return { operation: 'multipart-upload', bucket }
    if (method === 'POST' && uploadType === 'media') return { operation: 'media-upload', bucket }
    if (method === 'POST' && uploadType === 'resumable') return { operation: 'resumable-initiate', bucket }
    if (method === 'PUT' && query.has('upload_id')) {
      // An empty `bytes */TOTAL` range asks where the session stands instead of carrying data.
      const operation = contentRange?.startsWith('bytes */') ? 'resumable-status' : 'resumable-chunk'
      return { operation, bucket }
    }
    return { operation: 'unsupported', bucket }
  }
  const download = DOWNLOAD_PATH.exec(pathname)
  if (download?.[1] !== undefined && download[2] !== undefined && method === 'GET') {
    return {
      operation: 'download-object',
      bucket: decodeURIComponent(download[1]),
      object: decodeURIComponent(download[2]),
    }
  }
  const json = JSON_API_PATH.exec(pathname)
  if (json?.[1] === undefined) return { operation: 'unsupported' }
  const bucket = decodeURIComponent(json[1])
  const objectsCollection = pathname.endsWith('/o')
  if (json[2] === undefined) {
    if (method === 'GET') return { operation: objectsCollection ? 'list-objects' : 'get-bucket', bucket }
    return { operation: 'unsupported', bucket }
  }
  const object = decodeURIComponent(json[2])
  if (method === 'GET') {
    return { operation: query.get('alt') === 'media' ? 'download-object' : 'get-object', bucket, object }
  }
  if (method === 'PATCH') return { operation: 'patch-object', bucket, object }
  if (method === 'DELETE') return { operation: 'delete-object', bucket, object }
  return { operation: 'unsupported', bucket, object }
}
