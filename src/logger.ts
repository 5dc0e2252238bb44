import { type Logger, pino } from 'pino'

export type { Logger }

/**
 * JSON lines on stderr for machines; on a terminal the same records are pretty-printed.
 * stdout stays free for a command's own output (`--json`).
 */
export function createLogger(level: string, destination: 'auto' | 'json' = 'auto'): Logger {
  const pretty = destination === 'auto' && process.stderr.isTTY
  return pino(
    {
      level,
      base: undefined,
      redact: ['password', '*.password', 'databaseUrl', '*.databaseUrl'],
      transport: pretty
        ? {
            target: 'pino-pretty',
            options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          }
        : undefined,
    },
    pretty ? undefined : pino.destination({ fd: 2, sync: true }),
  )
}
