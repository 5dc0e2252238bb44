import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'

// Documented shell examples (README, docs/*.md) as tests run them: found by section, run with bash
// and the real curl, each curl answer's status and body recorded.

const root = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The markdown section that starts with the line `heading` (`## API`, `### The retry table`), up to
 * the next heading of the same or a higher level; lines in fenced code (shell comments) are no headings.
 */
export async function markdownSection(file: string, heading: string): Promise<string> {
  const lines = (await readFile(path.join(root, file), 'utf8')).split('\n')
  const start = lines.indexOf(heading)
  expect(start, `${file} has the section ${heading}`).toBeGreaterThan(-1)
  const level = /^#+/.exec(heading)?.[0].length ?? 1
  let fenced = false
  let end = lines.length
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (line.startsWith('```')) fenced = !fenced
    const depth = /^(#+) /.exec(line)?.[1]?.length
    if (!fenced && depth !== undefined && depth <= level) {
      end = i
      break
    }
  }
  return lines.slice(start, end).join('\n')
}

/** The fenced blocks of one language (```sh, ```python...) of the section that starts with `heading`. */
export async function fencedBlocks(file: string, heading: string, language: string): Promise<string[]> {
  const section = await markdownSection(file, heading)
  return [...section.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\``, 'gm'))].map((m) => m[1] ?? '')
}

/** The ```sh blocks of the markdown section that starts with `heading`. */
export function shellBlocks(file: string, heading: string): Promise<string[]> {
  return fencedBlocks(file, heading, 'sh')
}

/** The rows of the markdown tables in `markdown`, each a list of trimmed cells (separator rows left out). */
export function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^[|\s:-]+$/.test(line))
    .map((line) =>
      line
        .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
        .split('|')
        .map((cell) => cell.trim()),
    )
}

/**
 * Runs a shell snippet with bash; curl is wrapped to record each answer's status and body.
 * Returns the statuses (one per curl call), the bodies, and what the snippet printed.
 */
export async function runSnippet(
  snippet: string,
  env: Record<string, string>,
): Promise<{ statuses: number[]; bodies: string[]; output: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'flex-doc-example-'))
  const statuses = path.join(dir, 'statuses')
  await writeFile(statuses, '')
  const script = `set -euo pipefail
curl() {
  local n; n=$(wc -l < "$EXAMPLE_STATUSES")
  command curl -o "$EXAMPLE_DIR/body-$n" -w '%{http_code}\\n' "$@" >> "$EXAMPLE_STATUSES"
}
${snippet}`
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      'bash',
      ['-c', script],
      {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, EXAMPLE_STATUSES: statuses, EXAMPLE_DIR: dir, ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`the snippet failed (${error.message}):\n${snippet}\n${stderr}${stdout}`))
        else resolve(stdout + stderr)
      },
    )
  })
  const codes = (await readFile(statuses, 'utf8')).split('\n').filter(Boolean).map(Number)
  const bodies = await Promise.all(codes.map((_, i) => readFile(path.join(dir, `body-${i}`), 'utf8')))
  return { statuses: codes, bodies, output }
}

/**
 * Runs one documented example whose first line ends with the status it answers (`...: 201`) and
 * checks that it made exactly one request, answered with that status.
 */
export async function runDocumentedExample(
  block: string,
  env: Record<string, string>,
): Promise<{ firstLine: string; status: number; body: string }> {
  const firstLine = block.split('\n')[0] ?? ''
  const documented = /:\s*(\d{3})\s*$/.exec(firstLine)?.[1]
  expect(documented, `an example's first line ends with its status: ${firstLine}`).toBeDefined()
  const run = await runSnippet(block, env)
  expect(run.statuses, `${firstLine}\n${run.bodies.join('\n')}`).toEqual([Number(documented)])
  return { firstLine, status: Number(documented), body: run.bodies[0] ?? '' }
}
