import { describe, expect, it } from 'vitest'

describe('outcomes', () => {
  it('passes', () => {
    expect(1 + 1).toBe(2)
  })

  it('fails', () => {
    expect(1 + 1).toBe(3)
  })

  it('skips with a reason', (context) => {
    context.skip('needs something this machine lacks')
  })
})
