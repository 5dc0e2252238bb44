import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { z } from 'zod'
import { createPlatformMetrics } from '../../src/metrics/platform-metrics.ts'

// docs/operations.md cannot drift from the registry: its metrics table lists exactly the
// registered metrics, and its alert rules name only metrics that exist.

const registered = async () => {
  // The definitions are all this test reads: the state is never asked for.
  const metrics = createPlatformMetrics(() => Promise.reject(new Error('not scraped in this test')))
  return (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name).sort()
}

const doc = () => readFile(new URL('../../docs/operations.md', import.meta.url), 'utf8')

const rulesSchema = z.object({
  groups: z.array(z.object({ name: z.string(), rules: z.array(z.object({ alert: z.string(), expr: z.string() })) })),
})

// PromQL's own words, which look like metric names but are functions, keywords or label names.
const promqlWords = new Set(['sum', 'max', 'min', 'rate', 'delta', 'increase', 'by', 'without', 'and', 'or', 'unless'])

/** The metric names an expression reads: identifiers outside label matchers and range brackets. */
function metricNamesIn(expr: string): string[] {
  const bare = expr.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '')
  const names = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []
  return names.filter((name) => !promqlWords.has(name))
}

/** A histogram's series are its name plus _bucket, _sum or _count. */
const familyOf = (name: string) => name.replace(/_(bucket|sum|count)$/, '')

describe('docs/operations.md', () => {
  it('lists every registered metric in its table, and no other', async () => {
    const text = await doc()
    const listed = [...text.matchAll(/^\| `(flex_[a-z0-9_]+)` /gm)].map((match) => match[1]).sort()
    expect(listed).toEqual(await registered())
  })

  it('has alert rules that name only metrics the registry holds', async () => {
    const text = await doc()
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '')
    expect(blocks).toHaveLength(1)
    const rules = rulesSchema.parse(parse(blocks[0] ?? '')).groups.flatMap((group) => group.rules)
    expect(rules.map((rule) => rule.alert)).toEqual([
      'FlexExportDeadlineMissed',
      'FlexWebhookBacklog',
      'FlexWebhookEndpointFailing',
      'FlexExportRunFailed',
      'FlexApiErrors',
    ])
    const names = await registered()
    for (const rule of rules) {
      const used = metricNamesIn(rule.expr)
      expect(used.length, rule.alert).toBeGreaterThan(0)
      for (const name of used) expect(names, `${rule.alert} uses ${name}`).toContain(familyOf(name))
    }
  })
})
