import { type Config, type ConfigError, loadConfig } from '../config.ts'
import { openDatabase } from '../db/connect.ts'
import { exitCodes, FlexError } from '../errors.ts'
import { createLogger, type Logger } from '../logger.ts'
import { apikeyCommand } from './apikey.ts'
import { backfillCommand } from './backfill.ts'
import { brandsCommand } from './brands.ts'
import { type CommandContext, type CommandDef, parseCommandArgs } from './command.ts'
import { deliverCommand } from './deliver.ts'
import { demoCommand } from './demo.ts'
import { exportCommand } from './export.ts'
import { ingestCommand } from './ingest.ts'
import { migrateCommand } from './migrate.ts'
import { runsCommand } from './runs.ts'
import { scheduleCommand } from './schedule.ts'
import { serveCommand } from './serve.ts'
import { webhooksCommand } from './webhooks.ts'

export const commands: readonly CommandDef[] = [
  migrateCommand,
  brandsCommand,
  exportCommand,
  backfillCommand,
  scheduleCommand,
  runsCommand,
  ingestCommand,
  apikeyCommand,
  serveCommand,
  deliverCommand,
  webhooksCommand,
  demoCommand,
] as CommandDef[]

const overview = `Usage: flex <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n')}

Run flex <command> --help for a command's options and exit codes.
Without DATABASE_URL, commands use an embedded PGlite database kept in $FLEX_EMBEDDED_DIR
(default ./.flex/pglite); with it, the PostgreSQL server it names.`

/** Runs the CLI and returns the exit code; never calls process.exit itself. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${overview}\n`)
    return name === undefined ? exitCodes.usage : exitCodes.ok
  }
  const command = commands.find((c) => c.name === name)
  if (!command) {
    process.stderr.write(`flex: unknown command "${name}". Commands: ${commands.map((c) => c.name).join(', ')}\n`)
    return exitCodes.usage
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`)
    return exitCodes.ok
  }
  let config: Config
  try {
    config = loadConfig(env)
  } catch (error) {
    process.stderr.write(`flex: ${(error as ConfigError).message}\n`)
    return exitCodes.usage
  }
  const log: Logger = createLogger(config.LOG_LEVEL).child({ command: name })
  const context: CommandContext = {
    config,
    log,
    print: (line) => process.stdout.write(`${line}\n`),
    openDatabase: () => openDatabase({ url: config.DATABASE_URL, embeddedDir: config.FLEX_EMBEDDED_DIR }),
  }
  try {
    const args = parseCommandArgs(command, rest)
    return await command.run(args as never, context)
  } catch (error) {
    if (error instanceof FlexError) {
      process.stderr.write(`flex ${name}: ${error.message}\n`)
      // A request that breaks rules names each one on a line of its own, as the API's validations do.
      for (const [field, rule] of Object.entries(error.validations ?? {})) process.stderr.write(`  ${field}: ${rule}\n`)
      log.debug({ err: error }, 'command failed')
      return error.exitCode
    }
    log.error({ err: error }, 'unexpected failure')
    process.stderr.write(`flex ${name}: ${(error as Error).message}\n`)
    return exitCodes.failure
  }
}
