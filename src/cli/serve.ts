import { once } from 'node:events'
import { buildApp } from '../http/app.ts'
import { defineCommand, withDatabase } from './command.ts'

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'run the ingestion HTTP API (port from PORT, default 8080)',
  help: `Usage: flex serve

Serves the ingestion API (docs/ingestion.md) on 0.0.0.0:$PORT (default 8080) until SIGTERM or
SIGINT, then finishes the requests in flight and exits 0.`,
  options: {},
  async run(_args, context) {
    const port = context.config.PORT
    return withDatabase(context, async (database) => {
      const app = buildApp({ database, log: context.log })
      await app.listen({ host: '0.0.0.0', port })
      await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')])
      await app.close()
      return 0
    })
  },
})
