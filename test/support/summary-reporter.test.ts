import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const vitest = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url))
const config = fileURLToPath(new URL('./summary-reporter-fixture/vitest.config.ts', import.meta.url))

function runFixture(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [vitest, 'run', '--config', config],
      { env: { PATH: process.env.PATH, CI: 'true', ...env }, timeout: 120_000 },
      (error, stdout) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout }),
    )
  })
}

describe('what npm test prints', () => {
  it('names the database once, lists each skipped test with its reason, and ends with the counts line', async () => {
    const { code, stdout } = await runFixture({ DATABASE_URL: 'postgres://tester:s3cret@db.example:6543/postgres' })
    expect(code).toBe(1)
    expect(stdout.match(/test database: /g)).toHaveLength(1)
    expect(stdout).toContain('test database: PostgreSQL server at db.example:6543 (DATABASE_URL)')
    expect(stdout).not.toContain('s3cret')
    expect(stdout).toContain('outcomes.fixture.ts > outcomes > skips with a reason: needs something this machine lacks')
    expect(stdout).toContain('more.fixture.ts > is skipped without a reason: no reason given')
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed, 2 skipped')
  })
})
