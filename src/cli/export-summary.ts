import { exitCodes } from '../errors.ts'
import type { ExportBrandsResult } from '../exports/export-brands.ts'

/** The JSON summary `flex export --json` and `flex demo --json` print. */
export function exportSummaryJson(destination: string, { days, failures }: ExportBrandsResult): string {
  return JSON.stringify({
    destination,
    days: days.map((d) => ({
      brand: d.manifest.brand_id,
      date: d.manifest.date,
      manifest: d.manifestPath,
      rows: d.rows,
      bytes: d.bytes,
      quarantined_rows: d.quarantinedRows,
    })),
    failures: failures.map((f) => ({ brand: f.brand, date: f.date, error: f.error.message })),
  })
}

/** One line per brand-day, for people. */
export function exportSummaryLines(destination: string, { days, failures }: ExportBrandsResult): string[] {
  return [
    ...days.map(
      (d) =>
        `${d.manifest.brand_id} ${d.manifest.date}: ${d.rows} rows, ${d.bytes} bytes -> ${destination}/${d.manifestPath}` +
        (d.quarantinedRows > 0 ? ` (${d.quarantinedRows} rows quarantined)` : ''),
    ),
    ...failures.map((f) => `${f.brand} ${f.date}: FAILED: ${f.error.message}`),
  ]
}

/** 1 when a brand-day failed, 3 when all completed but rows were quarantined, else 0. */
export function exportExitCode({ days, failures }: ExportBrandsResult): number {
  if (failures.length > 0) return exitCodes.failure
  return days.some((d) => d.quarantinedRows > 0) ? exitCodes.quarantined : exitCodes.ok
}
