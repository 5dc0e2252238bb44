// GET /metrics timed as a scraper sees it: over HTTP, with the token, one request at a time. Used by
// bench/metrics-scrape.ts, and meant for the console benchmark's `metrics_ms` (issue 10: < 50 ms
// with 100 brands).

export interface MetricsScrapeTimes {
  /** Scrapes timed (after one untimed warm-up). */
  scrapes: number
  median_ms: number
  p95_ms: number
  max_ms: number
}

/** Scrapes `${baseUrl}/metrics` `repeat` times in turn; every answer must be 200. */
export async function measureMetricsScrape(
  baseUrl: string,
  token: string,
  options: { repeat?: number } = {},
): Promise<MetricsScrapeTimes> {
  const repeat = options.repeat ?? 50
  const scrape = async () => {
    const answer = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    const text = await answer.text()
    if (answer.status !== 200) throw new Error(`GET /metrics answered ${answer.status}: ${text.slice(0, 200)}`)
  }
  await scrape()
  const times: number[] = []
  for (let i = 0; i < repeat; i++) {
    const started = performance.now()
    await scrape()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] ?? 0
  const round = (ms: number) => Math.round(ms * 100) / 100
  return { scrapes: repeat, median_ms: round(at(0.5)), p95_ms: round(at(0.95)), max_ms: round(at(1)) }
}
