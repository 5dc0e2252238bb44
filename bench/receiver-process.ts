import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { ReceiverMessage, ReceiverRequest } from './webhook-receiver.ts'

const script = fileURLToPath(new URL('./webhook-receiver.ts', import.meta.url))

/** What the receiver recorded: request i arrived at `at[i]` (epoch ms) with `ids[i]` on `paths[i]`. */
export interface ReceiverReport {
  readonly at: number[]
  readonly ids: string[]
  readonly paths: string[]
}

/** bench/webhook-receiver.ts running as a child process, driven over its IPC channel. */
export interface ReceiverProcess {
  readonly pid: number | undefined
  /** `http://127.0.0.I:PORT`, one per listener: an origin per webhook. */
  readonly urls: readonly string[]
  /** Requests received so far, in all and per path. */
  count(): Promise<{ requests: number; byPath: Record<string, number> }>
  report(): Promise<ReceiverReport>
  /** Ends the requests it is holding on /hang/ paths (their sockets are destroyed). */
  release(): void
  /** Releases, and forgets what it recorded. */
  reset(): Promise<void>
  stop(): Promise<void>
}

/** Starts the receiver with `listeners` servers and waits until all listen. */
export async function startReceiverProcess(listeners: number): Promise<ReceiverProcess> {
  const child = fork(script, ['--listeners', String(listeners)], {
    execArgv: ['--max-semi-space-size=16'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  // One question at a time: each answer is the next message of its type.
  const waiting = new Map<string, { resolve(message: ReceiverMessage): void; reject(error: Error): void }>()
  let exit: Error | undefined
  child.on('message', (message: ReceiverMessage) => {
    const question = waiting.get(message.type)
    waiting.delete(message.type)
    question?.resolve(message)
  })
  const exited = once(child, 'exit').then(([code, signal]) => {
    exit = new Error(`the receiver exited (${signal ?? code})`)
    for (const question of waiting.values()) question.reject(exit)
    waiting.clear()
  })
  const reply = <T extends ReceiverMessage['type']>(type: T) =>
    new Promise<Extract<ReceiverMessage, { type: T }>>((resolve, reject) => {
      if (exit) throw exit
      if (waiting.has(type)) throw new Error(`a ${type} question is already waiting for its answer`)
      waiting.set(type, { resolve: resolve as (message: ReceiverMessage) => void, reject })
    })
  const ask = <T extends ReceiverMessage['type']>(request: ReceiverRequest & { type: T }) => {
    const answer = reply(request.type)
    child.send(request)
    return answer
  }
  let ready: Extract<ReceiverMessage, { type: 'ready' }>
  try {
    ready = await reply('ready')
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return {
    pid: child.pid,
    urls: ready.urls,
    async count() {
      const { requests, byPath } = await ask({ type: 'count' })
      return { requests, byPath }
    },
    async report() {
      const { at, ids, paths } = await ask({ type: 'report' })
      return { at, ids, paths }
    },
    release() {
      child.send({ type: 'release' } satisfies ReceiverRequest)
    },
    async reset() {
      await ask({ type: 'reset' })
    },
    stop: () => stopChild(child, exited),
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.disconnect()
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
