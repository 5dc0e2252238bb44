import { describe, expect, it } from 'vitest'
import { flexDatabaseEnv, runFlex } from '../support/flex-process.ts'
import { useTestDatabase } from '../support/test-database.ts'

const database = useTestDatabase()

describe('flex apikey', () => {
  it('creates an operator key that belongs to no brand with --operator, and revokes it by id', async () => {
    const env = await flexDatabaseEnv(database.current)
    expect((await runFlex(['migrate'], env)).code).toBe(0)

    const created = await runFlex(['apikey', 'create', '--operator', '--json'], env)
    expect(created.code, created.stderr).toBe(0)
    const key = JSON.parse(created.stdout) as Record<string, unknown>
    expect(key).toEqual({ id: expect.any(String), brandId: null, operator: true, key: expect.stringMatching(/^flex_/) })

    const signed = await runFlex(['apikey', 'create', '--operator', '--require-signature'], env)
    expect(signed.code, signed.stderr).toBe(0)
    expect(signed.stdout).toMatch(
      /^key id: \S+\nscope: +operator \(every brand\)\nkey: +flex_\S+\nsigning secret: \S+\n/,
    )

    expect(await runFlex(['apikey', 'revoke', String(key.id)], env)).toMatchObject({
      code: 0,
      stdout: `key ${key.id} revoked\n`,
    })
    expect((await runFlex(['apikey', 'revoke', String(key.id)], env)).code).toBe(2)
  })

  it('refuses --brand with --operator, and create with neither, as usage errors', async () => {
    const env = await flexDatabaseEnv(database.current)
    const both = await runFlex(['apikey', 'create', '--brand', 'acme', '--operator'], env)
    expect(both).toMatchObject({ code: 2, stdout: '' })
    expect(both.stderr).toMatch(/^flex apikey: say --brand ID or --operator, not both/)
    const neither = await runFlex(['apikey', 'create'], env)
    expect(neither.code).toBe(2)
    expect(neither.stderr).toMatch(/^flex apikey: create needs --brand ID \(or --operator/)
  })
})
