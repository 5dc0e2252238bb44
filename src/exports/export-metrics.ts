import type { ExportTrigger } from './export-runs.ts'

// What the exports tell monitoring: each run's duration and outcome, the rows of each file a
// successful run wrote, and the scheduler's missed deadlines. exportDay and the nightly scheduler
// are handed a sink of this shape (src/metrics implements it with prom-client); without one they
// record nothing.

export interface ExportMetrics {
  /** A run ended after `seconds`, succeeded or failed. */
  runEnded(trigger: ExportTrigger, status: 'succeeded' | 'failed', seconds: number): void
  /** A successful run wrote `rows` rows into its file of `fileType`. */
  fileExported(fileType: string, rows: number): void
  /** The scheduler found a brand's yesterday not complete at its deadline (once per brand-day and process). */
  deadlineMissed(): void
}
