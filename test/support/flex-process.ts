import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestDatabase } from './test-database.ts'

// The `flex` command as a user starts it: a child process of bin/flex.js with its own environment,
// a real port, and a real signal to stop it. Long-running commands (serve, schedule, deliver) are
// tested through this, so a failure at start (a bad option, a crash on import) fails a test.

export const flexBin = fileURLToPath(new URL('../../bin/flex.js', import.meta.url))
const nodeArgs = ['--max-semi-space-size=16', flexBin]

export interface FlexRun {
  code: number
  stdout: string
  stderr: string
}

/** Environment that points the CLI at a test database (PGlite: a fresh embedded folder instead). */
export async function flexDatabaseEnv(database: TestDatabase): Promise<Record<string, string>> {
  if (database.kind !== 'pglite') return { DATABASE_URL: database.url }
  return { FLEX_EMBEDDED_DIR: await mkdtemp(path.join(tmpdir(), 'flex-pglite-')) }
}

/** Runs a short `flex` command to its end and returns its exit code and output. */
export function runFlex(args: string[], env: Record<string, string> = {}): Promise<FlexRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...nodeArgs, ...args],
      { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env }, timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** Runs a `flex` command and returns its stdout, failing with its stderr when it does not exit 0. */
export async function flexOutput(args: string[], env: Record<string, string> = {}): Promise<string> {
  const run = await runFlex(args, env)
  if (run.code !== 0) {
    throw new Error(`flex ${args.join(' ')} exited ${run.code}:\n${run.stderr}${run.stdout}`)
  }
  return run.stdout
}

/** A port nobody listens on right now (the OS picks it; the child then binds it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port assigned')
  return address.port
}

export interface FlexProcess {
  readonly child: ChildProcess
  /** Everything the process wrote so far. */
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code (or the signal's name when a signal ended it). */
  readonly exited: Promise<number | string>
  /** Sends a signal and waits for the exit; kills with SIGKILL after the deadline. */
  stop(signal?: NodeJS.Signals, deadlineMs?: number): Promise<number | string>
  /** Polls until the check passes or the deadline passes; fails with the process's output. */
  waitFor(what: string, check: () => boolean | Promise<boolean>, deadlineMs?: number): Promise<void>
}

export interface StartFlexOptions {
  env?: Record<string, string>
  /** pino level of the child (default info, so failures come with its log). */
  logLevel?: string
}

/** Starts a long-running `flex` command; stop it with stop() (tests: in a finally or afterAll). */
export function startFlex(args: string[], options: StartFlexOptions = {}): FlexProcess {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: options.logLevel ?? 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))
  })
  let exitCode: number | string | undefined
  void exited.then((code) => {
    exitCode = code
  })
  const describe = () =>
    `flex ${args.join(' ')}${exitCode === undefined ? ' (running)' : ` exited ${exitCode}`}\n` +
    `--- stderr ---\n${stderr}--- stdout ---\n${stdout}`

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop(signal = 'SIGTERM', deadlineMs = 15_000) {
      if (exitCode !== undefined) return exitCode
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
    async waitFor(what, check, deadlineMs = 30_000) {
      const deadline = Date.now() + deadlineMs
      for (;;) {
        if (await check()) return
        if (exitCode !== undefined) throw new Error(`waiting for ${what}, but ${describe()}`)
        if (Date.now() > deadline) throw new Error(`waiting for ${what}: not within ${deadlineMs} ms\n${describe()}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  }
}

export interface FlexServer extends FlexProcess {
  /** `http://127.0.0.1:PORT` */
  readonly url: string
}

export interface StartFlexServerOptions extends StartFlexOptions {
  /** Options of `flex serve`, such as `--deliver`. */
  args?: string[]
}

/** Starts `flex serve` on a free port and waits until GET /healthz answers 200. */
export async function startFlexServer(options: StartFlexServerOptions = {}): Promise<FlexServer> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const server = startFlex(['serve', ...(options.args ?? [])], {
    ...options,
    env: { ...options.env, PORT: String(port) },
  })
  try {
    await server.waitFor(`${url}/healthz to answer 200`, async () => {
      try {
        return (await fetch(`${url}/healthz`)).status === 200
      } catch {
        return false
      }
    })
  } catch (error) {
    await server.stop('SIGKILL')
    throw error
  }
  return { ...server, url }
}

/** Starts `flex deliver` and waits until its worker runs (it logs `delivering webhooks`). */
export async function startFlexDeliver(options: StartFlexOptions = {}): Promise<FlexProcess> {
  const worker = startFlex(['deliver'], options)
  try {
    await worker.waitFor('flex deliver to start its worker', () => worker.stderr().includes('delivering webhooks'))
  } catch (error) {
    await worker.stop('SIGKILL')
    throw error
  }
  return worker
}
