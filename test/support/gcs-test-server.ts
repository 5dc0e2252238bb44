import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Storage, type StorageOptions } from '@google-cloud/storage'
import { errorResponse, GcsError } from './gcs/gcs-error.ts'
import { type GcsRequest, type GcsResponse, headerValue } from './gcs/gcs-exchange.ts'
import { type GcsOperation, routeGcsRequest } from './gcs/gcs-route.ts'
import { ObjectHandlers } from './gcs/object-handlers.ts'
import { ObjectStore, type StoredObject } from './gcs/object-store.ts'
import { UploadHandlers } from './gcs/upload-handlers.ts'

export type { GcsOperation } from './gcs/gcs-route.ts'
export type { StoredObject } from './gcs/object-store.ts'

/** What a fault matcher sees of a request. */
export interface FaultRequest {
  readonly method: string
  /** Path as sent, still URL-encoded (`/storage/v1/b/bucket/o/a%2Fb.csv`). */
  readonly path: string
  readonly query: URLSearchParams
  readonly uploadType?: string
  readonly operation: GcsOperation
  /** Tells chunks apart: `bytes 0-262143/*`, `bytes 262144-524287/*`, ... */
  readonly contentRange?: string
}

export interface Fault {
  readonly match: (req: FaultRequest) => boolean
  /** How many matching requests fail; 1 unless given. */
  readonly times?: number
  /** An error status with a GCS JSON error body, or a socket destroyed without any response. */
  readonly kind: { readonly status: 429 | 500 | 503 } | { readonly kind: 'drop' }
}

export interface LoggedRequest {
  readonly method: string
  readonly path: string
  /** Query string without the leading `?`. */
  readonly query: string
  readonly operation: GcsOperation
  /** Resumable PUTs only: the bytes a chunk carries, or just the total for a status query. */
  readonly contentRange?: string
  /** 0 when the connection was dropped by an injected fault. */
  readonly status: number
}

export interface GcsTestServerOptions {
  /** 0 (the default) picks a free port. The server listens on 127.0.0.1 only. */
  readonly port?: number
  /**
   * true (the default): objects keep their bytes, for downloads and assertions. false: every
   * upload is still checked and described exactly (size, crc32c, md5Hash, generation, metadata),
   * but its bytes are dropped as they arrive, so gigabytes can pass through without the server's
   * memory growing. Downloads of such objects then fail with 404, and `StoredObject.data` is
   * empty (`dataKept` false).
   */
  readonly keepData?: boolean
}

export interface GcsTestServer {
  /** `http://127.0.0.1:PORT`, usable as `apiEndpoint` and as STORAGE_EMULATOR_HOST. */
  readonly url: string
  /** A real client pointed at this server, without auth, with fast retries; options override. */
  storage(options?: StorageOptions): Storage
  createBucket(name: string): void
  /** A snapshot of a bucket's objects by name, for assertions. */
  objects(bucket: string): Map<string, StoredObject>
  /** The next matching requests fail (a fault's body is read first and nothing is stored). */
  failNext(fault: Fault): void
  /** Every request in the order its response was decided. */
  readonly requests: readonly LoggedRequest[]
  close(): Promise<void>
}

// The client's defaults wait seconds between attempts (1 s × 2^n plus up to 1 s of jitter, up to
// 64 s); every delay is capped by maxRetryDelay. 1 s is the smallest cap the client accepts:
// `save()` and resumable session creation hand it to async-retry as `maxTimeout`, which throws
// "minTimeout is greater than maxTimeout" below async-retry's fixed 1 s `minTimeout`.
const FAST_RETRIES = {
  autoRetry: true,
  maxRetries: 3,
  retryDelayMultiplier: 1.1,
  totalTimeout: 30,
  maxRetryDelay: 1,
} satisfies StorageOptions['retryOptions']

/**
 * A GCS JSON API server on 127.0.0.1 (a random port unless given) for tests that use the real
 * `@google-cloud/storage` client over real HTTP: uploads (multipart and resumable), reads with
 * ranges, listing, metadata patches and deletes, with preconditions and injectable faults.
 */
export async function startGcsTestServer(options: GcsTestServerOptions = {}): Promise<GcsTestServer> {
  const { port = 0, keepData = true } = options
  const store = new ObjectStore()
  const faults: { fault: Fault; remaining: number }[] = []
  const requests: LoggedRequest[] = []
  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => handle(req, res, body),
      // The client gave up on the request midway: there is nobody left to answer.
      () => res.destroy(),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const objects = new ObjectHandlers(store, url)
  const uploads = new UploadHandlers(store, url, keepData)

  function takeFault(req: FaultRequest): Fault['kind'] | undefined {
    const index = faults.findIndex(({ fault }) => fault.match(req))
    const entry = faults[index]
    if (!entry) return undefined
    entry.remaining -= 1
    if (entry.remaining <= 0) faults.splice(index, 1)
    return entry.fault.kind
  }

  function dispatch(req: GcsRequest): GcsResponse {
    switch (req.operation) {
      case 'multipart-upload':
        return uploads.multipart(req)
      case 'resumable-initiate':
        return uploads.initiateResumable(req)
      case 'resumable-chunk':
      case 'resumable-status':
        return uploads.putResumable(req)
      case 'get-bucket':
        return objects.getBucket(req)
      case 'list-objects':
        return objects.listObjects(req)
      case 'get-object':
        return objects.getObject(req)
      case 'download-object':
        return objects.downloadObject(req)
      case 'patch-object':
        return objects.patchObject(req)
      case 'delete-object':
        return objects.deleteObject(req)
      case 'media-upload':
        throw GcsError.notImplemented('uploadType=media (the client never sends it)')
      case 'unsupported':
        throw GcsError.notImplemented(`${req.method} on this path`)
    }
  }

  function respond(req: GcsRequest): GcsResponse {
    try {
      return dispatch(req)
    } catch (error) {
      if (error instanceof GcsError) return error.toResponse()
      // A bug in this server: answer loudly rather than let the client's retries hide it.
      return errorResponse(500, 'testServerBug', `GCS test server bug: ${(error as Error).stack ?? String(error)}`)
    }
  }

  // Faults are decided after the whole body has arrived, so a failed request never leaves a
  // partial write behind and the client sees the failure only once it has sent everything.
  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const method = req.method ?? 'GET'
    const target = new URL(req.url ?? '/', url)
    const contentRange = headerValue(req.headers, 'content-range')
    const route = routeGcsRequest(method, target.pathname, target.searchParams, contentRange)
    const log = (status: number) =>
      requests.push({
        method,
        path: target.pathname,
        query: target.search.slice(1),
        operation: route.operation,
        ...(contentRange !== undefined && { contentRange }),
        status,
      })
    const fault = takeFault({
      method,
      path: target.pathname,
      query: target.searchParams,
      uploadType: target.searchParams.get('uploadType') ?? undefined,
      operation: route.operation,
      contentRange,
    })
    if (fault && 'kind' in fault) {
      log(0)
      req.socket.destroy()
      return
    }
    const response = fault
      ? errorResponse(fault.status, fault.status === 429 ? 'rateLimitExceeded' : 'backendError', 'Injected fault')
      : respond({
          method,
          ...route,
          bucket: route.bucket ?? '',
          query: target.searchParams,
          headers: req.headers,
          body,
        })
    log(response.status)
    send(res, response)
  }

  return {
    url,
    storage: (options = {}) =>
      // A fresh client each time: the client flips `retryOptions.autoRetry` on its Storage object
      // during some calls, so sharing one between tests would leak that state.
      new Storage({
        apiEndpoint: url,
        projectId: 'test',
        // Custom endpoints skip google-auth-library unless this is true, so no credentials are
        // looked up (the resumable upload path then uses plain gaxios).
        useAuthWithCustomEndpoint: false,
        ...options,
        retryOptions: { ...FAST_RETRIES, ...options.retryOptions },
      }),
    createBucket: (name) => store.createBucket(name),
    objects: (bucket) => new Map(store.objects(bucket)),
    failNext: (fault) => {
      faults.push({ fault, remaining: fault.times ?? 1 })
    },
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The client keeps connections alive; close them so `close` does not wait for them.
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function send(res: ServerResponse, response: GcsResponse): void {
  const isJson = response.body !== undefined && !Buffer.isBuffer(response.body)
  const body = isJson ? Buffer.from(JSON.stringify(response.body)) : (response.body as Buffer | undefined)
  res.writeHead(response.status, {
    ...(isJson && { 'Content-Type': 'application/json; charset=UTF-8' }),
    ...response.headers,
    'Content-Length': String(body?.length ?? 0),
  })
  res.end(body)
}
