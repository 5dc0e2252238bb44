import { access, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// Docker does not run here, so the deployment files are checked for what can go stale without it:
// every file they name exists, and the commands they run exist in the CLI.

const root = fileURLToPath(new URL('../../', import.meta.url))
const exists = (relative: string) =>
  access(`${root}${relative}`).then(
    () => true,
    () => false,
  )

interface Step {
  id: string
  name: string
  entrypoint?: string
  args?: string[]
}

describe('deployment files', () => {
  it('cloudbuild.yaml installs, tests against PostgreSQL, builds, pushes, deploys the job, the delivery workers and the trigger', async () => {
    const build = parse(await readFile(`${root}cloudbuild.yaml`, 'utf8')) as {
      steps: Step[]
      images: string[]
      substitutions: Record<string, string>
    }
    expect(build.steps.map((s) => s.id)).toEqual([
      'postgres',
      'install',
      'test',
      'build',
      'push',
      'deploy-job',
      'migrate',
      'deploy-delivery',
      'deploy-trigger',
    ])
    for (const step of build.steps) expect(step.name, step.id).toMatch(/\S/)
    const args = (id: string) => build.steps.find((s) => s.id === id)?.args ?? []
    const dockerfile = args('build')[args('build').indexOf('-f') + 1]
    expect(dockerfile).toBe('Dockerfile')
    expect(await exists(dockerfile as string)).toBe(true)
    expect(args('test').join(' ')).toContain('npm test')
    expect(args('deploy-job')).toContain('--args=schedule,--once')
    expect(build.images).toHaveLength(1)
    const image = build.images[0] as string
    expect(args('build')).toContain(image)
    expect(args('deploy-job')).toContain(`--image=${image}`)
    // The delivery workers: the same image running `deliver`, scaled by a substitution's instance count.
    const delivery = args('deploy-delivery')
    expect(delivery.slice(0, 5)).toEqual(['beta', 'run', 'worker-pools', 'deploy', 'flex-deliver'])
    expect(delivery).toContain(`--image=${image}`)
    expect(delivery).toContain('--args=deliver')
    const substitution = '$' + '{_DELIVERY_WORKERS}' // Cloud Build's syntax, not a template literal
    expect(delivery).toContain(`--scaling=${substitution}`)
    expect(Number(build.substitutions._DELIVERY_WORKERS)).toBeGreaterThanOrEqual(1)
    expect(delivery.some((arg) => arg.startsWith('--set-secrets=DATABASE_URL='))).toBe(true)
    expect(delivery.join(' ')).not.toContain('FLEX_WEBHOOK_ALLOW_NETWORKS')
  })

  it('Dockerfile copies only paths that exist and starts the flex CLI', async () => {
    const dockerfile = await readFile(`${root}Dockerfile`, 'utf8')
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) =>
      (m[1] as string).split(/\s+/),
    )
    expect(sources.length).toBeGreaterThan(0)
    for (const source of sources) expect(await exists(source), source).toBe(true)
    expect(dockerfile).toMatch(/^FROM node:24-slim/m)
    expect(dockerfile).toMatch(/^USER node$/m)
    expect(dockerfile).toContain('npm ci --omit=dev')
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "--max-semi-space-size=16", "bin\/flex.js"\]/)
  })

  it('the commands the deployment runs exist in the CLI', async () => {
    const { main } = await import('../../src/cli/main.ts')
    const help = await captureStdout(() => main(['--help']))
    for (const command of ['schedule', 'migrate', 'export', 'deliver']) expect(help).toContain(`  ${command} `)
  })
})

async function captureStdout(work: () => Promise<unknown>): Promise<string> {
  const write = process.stdout.write.bind(process.stdout)
  let out = ''
  process.stdout.write = ((chunk: string) => {
    out += chunk
    return true
  }) as typeof process.stdout.write
  try {
    await work()
  } finally {
    process.stdout.write = write
  }
  return out
}
