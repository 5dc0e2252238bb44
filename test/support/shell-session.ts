import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

// One terminal, as a reader of the docs uses it: a bash session that runs documented blocks one
// after another, so that variables exported by one block and jobs started in the background (`&`)
// by another are there for the next, as they would be for someone pasting the blocks in order.
// Everything the session starts shares its process group, which close() ends.

export interface ShellSession {
  /**
   * Runs a block in the session and resolves when its last command returned. A failing command
   * (`set -euo pipefail`) ends the session, and the promise rejects with what it printed.
   */
  run(block: string, timeoutMs?: number): Promise<void>
  /** Everything the session and its background jobs printed so far, stdout and stderr interleaved. */
  output(): string
  /** Polls until the check passes; fails with the output when the deadline passes or the session ends. */
  waitFor(what: string, check: () => boolean | Promise<boolean>, deadlineMs?: number): Promise<void>
  /** Ends every process of the session (SIGTERM, then SIGKILL after the deadline) and removes its files. */
  close(deadlineMs?: number): Promise<void>
}

export interface ShellSessionOptions {
  cwd: string
  /** The whole environment of the session (nothing is inherited). */
  env: Record<string, string>
}

export async function startShellSession(options: ShellSessionOptions): Promise<ShellSession> {
  const dir = await mkdtemp(path.join(tmpdir(), 'flex-shell-session-'))
  // detached: bash leads a process group of its own, which its background jobs stay in (a shell
  // without job control does not give them groups of their own).
  const child: ChildProcess = spawn('bash', ['--noprofile', '--norc'], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  let exit: string | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = `the shell exited (${signal ?? code})`
      resolve()
    })
  })
  child.stdin?.write('set -euo pipefail\n')
  let blocks = 0

  const waitFor: ShellSession['waitFor'] = async (what, check, deadlineMs = 30_000) => {
    const deadline = Date.now() + deadlineMs
    for (;;) {
      if (await check()) return
      if (exit !== undefined) throw new Error(`waiting for ${what}, but ${exit}:\n${output}`)
      if (Date.now() > deadline) throw new Error(`waiting for ${what}: not within ${deadlineMs} ms:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  const groupAlive = (): boolean => {
    try {
      process.kill(-(child.pid as number), 0)
      return true
    } catch {
      return false
    }
  }

  return {
    async run(block, timeoutMs = 60_000) {
      const n = ++blocks
      const file = path.join(dir, `block-${n}.sh`)
      await writeFile(file, block)
      const marker = `__flex_block_${n}_done__`
      // The block is sourced, so its exports and jobs stay in the session; its commands read no
      // terminal (/dev/null), so none can swallow what is written to the session next.
      child.stdin?.write(`source '${file}' < /dev/null; echo '${marker}'\n`)
      await waitFor(`the block to finish:\n${block}`, () => output.includes(marker), timeoutMs)
      output = output.replace(`${marker}\n`, '')
    },
    output: () => output,
    waitFor,
    async close(deadlineMs = 15_000) {
      if (child.pid !== undefined && groupAlive()) {
        process.kill(-child.pid, 'SIGTERM')
        const deadline = Date.now() + deadlineMs
        while (groupAlive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
        if (groupAlive()) process.kill(-child.pid, 'SIGKILL')
      }
      child.stdin?.destroy()
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1_000))])
      await rm(dir, { recursive: true, force: true })
    },
  }
}
