// Runs the GCS test server (test/support/gcs-test-server.ts) on its own, for the demo and for
// benchmarks that export into gs:// without Google Cloud:
//
//   node scripts/gcs-test-server.ts [--port 4443] [--bucket NAME]... [--discard-data]
//
// It listens on 127.0.0.1 (--port 0 picks a free port), creates the buckets, prints one line
// `STORAGE_EMULATOR_HOST=http://127.0.0.1:PORT` on stdout once it accepts requests, and stops on
// SIGTERM or SIGINT. Objects live in memory. With --discard-data uploads are still checked and
// described exactly (size, crc32c, md5Hash, generation), but their bytes are not kept: memory stays
// flat however much is uploaded, and downloads of such objects answer 404.
//
//   STORAGE_EMULATOR_HOST=http://127.0.0.1:4443 npm run demo -- --dest gs://flex-demo/exports

import { parseArgs } from 'node:util'
import { type GcsTestServer, startGcsTestServer } from '../test/support/gcs-test-server.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4443' },
    bucket: { type: 'string', multiple: true, default: [] },
    'discard-data': { type: 'boolean', default: false },
  },
})

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`--port must be a port number (0 for any free one), got ${values.port}`)
}

const server = await startGcsTestServer({ port, keepData: !values['discard-data'] })
for (const bucket of values.bucket) server.createBucket(bucket)
stopOnSignals(server)
process.stdout.write(`STORAGE_EMULATOR_HOST=${server.url}\n`)

function stopOnSignals(server: GcsTestServer): void {
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`closing the GCS test server failed: ${(error as Error).message}`)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
