import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const flexBin = fileURLToPath(new URL('../bin/flex.js', import.meta.url))

export interface WorkerProcessOptions {
  /** The worker's DATABASE_URL. */
  databaseUrl: string
  /** FLEX_DELIVERY_CONCURRENCY */
  concurrency: number
  /** FLEX_WEBHOOK_ALLOW_NETWORKS: the receiver's loopback addresses. */
  allowNetworks: string
  /** More settings, which win over the ones above. */
  env?: Record<string, string>
}

/** `flex deliver` as an operator starts it, a child process of its own. */
export interface WorkerProcess {
  readonly pid: number
  /** When the worker logged that it was delivering (epoch ms, its own clock): its loop had started. */
  readonly startedAt: number
  /** From spawning the process to that line, in ms (Node's start and the imports). */
  readonly bootMs: number
  /** The process's peak resident set so far (VmHWM), in MB; undefined where /proc is not there. */
  peakRssMb(): number | undefined
  /** Its log lines at warn level and above, so far (at most 20). */
  problems(): string[]
  /** SIGTERM, as an operator stops it: it finishes the attempts in flight and exits 0. */
  stop(): Promise<void>
}

/** Starts `flex deliver` and waits until it logs that it is delivering. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const spawnedAt = performance.timeOrigin + performance.now()
  const child = spawn(process.execPath, ['--max-semi-space-size=16', flexBin, 'deliver'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: options.databaseUrl,
      FLEX_WEBHOOK_ALLOW_NETWORKS: options.allowNetworks,
      FLEX_DELIVERY_CONCURRENCY: String(options.concurrency),
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const problems: string[] = []
  const lines: string[] = []
  let exitCode: number | string | undefined
  const exited = once(child, 'exit').then(([code, signal]) => {
    exitCode = (code as number | null) ?? (signal as string)
  })
  const ready = new Promise<number>((resolve, reject) => {
    // pino writes one JSON object a line on stderr.
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (lines.length < 50) lines.push(line)
      let record: { level?: number; msg?: string; time?: number }
      try {
        record = JSON.parse(line)
      } catch {
        if (problems.length < 20) problems.push(line)
        return
      }
      if (record.msg === 'delivering webhooks' && record.time !== undefined) resolve(record.time)
      if ((record.level ?? 0) >= 40 && problems.length < 20) problems.push(line)
    })
    void exited.then(() =>
      reject(new Error(`flex deliver exited (${exitCode}) before it started:\n${lines.join('\n')}`)),
    )
  })
  const startedAt = await ready
  const pid = child.pid as number
  return {
    pid,
    startedAt,
    bootMs: startedAt - spawnedAt,
    peakRssMb: () => peakRssMbOf(pid),
    problems: () => [...problems],
    async stop() {
      if (exitCode !== undefined) throw new Error(`flex deliver had exited (${exitCode}):\n${lines.join('\n')}`)
      child.kill('SIGTERM')
      // Each attempt in flight ends within its 10 s timeout.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await exited
      clearTimeout(timer)
      if (exitCode !== 0) throw new Error(`flex deliver exited ${exitCode} on SIGTERM:\n${problems.join('\n')}`)
    },
  }
}

/** A process's peak RSS, from /proc (Linux only). */
function peakRssMbOf(pid: number): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kib === undefined ? undefined : Number(kib) / 1024
  } catch {
    return undefined
  }
}
