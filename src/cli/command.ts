import { type ParseArgsConfig, parseArgs } from 'node:util'
import { isValidDate } from '../calendar/calendar-date.ts'
import type { Config } from '../config.ts'
import { type DatabaseHandle, openDatabase } from '../db/connect.ts'
import { FlexError } from '../errors.ts'
import type { Logger } from '../logger.ts'

/** What every command gets: parsed config, a logger, a way to open the database, and stdout. */
export interface CommandContext {
  readonly config: Config
  readonly log: Logger
  /** Writes a line of command output to stdout (logs go to stderr). */
  print(line: string): void
  openDatabase(): Promise<DatabaseHandle>
}

type Options = NonNullable<ParseArgsConfig['options']>

export interface CommandDef<O extends Options = Options> {
  readonly name: string
  readonly summary: string
  /** Usage lines and option descriptions, shown by --help. */
  readonly help: string
  readonly options: O
  readonly allowPositionals?: boolean
  /** Returns the exit code. */
  run(
    args: {
      values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values']
      positionals: string[]
    },
    context: CommandContext,
  ): Promise<number>
}

export function defineCommand<O extends Options>(command: CommandDef<O>): CommandDef<O> {
  return command
}

export function parseCommandArgs<O extends Options>(command: CommandDef<O>, argv: string[]) {
  try {
    const parsed = parseArgs({
      args: argv,
      options: command.options,
      allowPositionals: true,
      strict: true,
    })
    if (!command.allowPositionals && parsed.positionals.length > 0) {
      throw new Error(`unexpected argument "${parsed.positionals[0]}"`)
    }
    return parsed
  } catch (error) {
    throw usageError(command.name, (error as Error).message)
  }
}

export const jsonOption = { json: { type: 'boolean', description: 'print machine-readable JSON on stdout' } } as const

export async function withDatabase<T>(
  context: CommandContext,
  work: (database: DatabaseHandle) => Promise<T>,
): Promise<T> {
  const database = await context.openDatabase()
  try {
    return await work(database)
  } finally {
    await database.close()
  }
}

/** Fails with a usage error unless an optional date flag is a real calendar date. */
export function checkDateFlag(command: string, flag: string, value: string | undefined): void {
  if (value !== undefined && !isValidDate(value)) {
    throw usageError(command, `${flag} must be a calendar date YYYY-MM-DD, got "${value}"`)
  }
}

/** A usage error; main() names the command in front of the message, so it is not repeated here. */
export function usageError(command: string, message: string): FlexError {
  return new FlexError('USAGE', `${message}. See: flex ${command} --help`)
}

export { openDatabase }
