// A strict reader of the Prometheus text exposition format (version 0.0.4) as prom-client writes
// it: # HELP and # TYPE lines, then samples `name{label="value",...} number`. Anything else throws,
// so a test that reads /metrics through it fails on text a Prometheus server would refuse.

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface MetricFamily {
  name: string
  help: string
  type: string
  samples: Sample[]
}

const namePattern = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const sampleLine = new RegExp(`^(${namePattern})(?:\\{(.*)\\})? (\\S+)$`)
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy
const suffixes = ['_bucket', '_sum', '_count']

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const help = new RegExp(`^# HELP (${namePattern}) (.*)$`).exec(line)
    if (help?.[1] !== undefined) {
      families.set(help[1], { name: help[1], help: help[2] ?? '', type: '', samples: [] })
      continue
    }
    const type = new RegExp(`^# TYPE (${namePattern}) (counter|gauge|histogram|summary|untyped)$`).exec(line)
    if (type?.[1] !== undefined) {
      const family = families.get(type[1])
      if (!family) throw new Error(`TYPE before HELP: ${line}`)
      family.type = type[2] ?? ''
      continue
    }
    const sample = sampleLine.exec(line)
    if (!sample?.[1] || sample[3] === undefined) throw new Error(`not a Prometheus text line: ${line}`)
    const name = sample[1]
    const familyName = families.has(name)
      ? name
      : suffixes.map((s) => name.replace(new RegExp(`${s}$`), '')).find((n) => families.has(n))
    const family = familyName === undefined ? undefined : families.get(familyName)
    if (!family) throw new Error(`a sample of no declared metric: ${line}`)
    const value = sample[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample[3])
    if (Number.isNaN(value) && sample[3] !== 'NaN') throw new Error(`not a number: ${line}`)
    family.samples.push({ name, labels: parseLabels(sample[2] ?? '', line), value })
  }
  return families
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {}
  labelPair.lastIndex = 0
  while (labelPair.lastIndex < text.length) {
    const pair = labelPair.exec(text)
    if (!pair?.[1] || pair[2] === undefined) throw new Error(`bad labels: ${line}`)
    labels[pair[1]] = pair[2].replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c))
  }
  return labels
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) return sample.value
    }
  }
  return undefined
}
