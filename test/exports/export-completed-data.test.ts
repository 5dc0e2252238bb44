import { describe, expect, it } from 'vitest'
import { exportCompletedData, exportCompletedEventData } from '../../src/exports/export-completed-data.ts'
import { manifestSchema } from '../../src/exports/manifest.ts'

describe('exportCompletedEventData', () => {
  it("summarises a written manifest as the export-completed data: the day, the manifest's path, each file's rows, bytes and sha256", () => {
    const manifest = manifestSchema.parse({
      schema_version: 1,
      brand_id: 'acme',
      date: '2026-03-29',
      timezone: 'Europe/London',
      window: { start: '2026-03-29T00:00:00.000Z', end: '2026-03-29T23:00:00.000Z' },
      run_id: 'run-1',
      generated_at: '2026-03-30T01:00:00.000Z',
      gzip: false,
      files: [
        {
          file_type: 'campaigns',
          path: 'acme/campaigns/dt=2026-03-29/campaigns.csv',
          rows: 3,
          bytes: 120,
          sha256: 'a'.repeat(64),
          columns: ['campaign_id'],
          quarantined_rows: 1,
        },
      ],
      quarantine: [{ file_type: 'campaigns', path: 'acme/_quarantine/dt=2026-03-29/campaigns.ndjson', rows: 1 }],
    })
    const data = exportCompletedEventData(manifest, 'acme/_manifests/dt=2026-03-29.json')
    expect(exportCompletedData.parse(data)).toEqual({
      brand_id: 'acme',
      date: '2026-03-29',
      timezone: 'Europe/London',
      manifest_path: 'acme/_manifests/dt=2026-03-29.json',
      files: [
        {
          file_type: 'campaigns',
          path: 'acme/campaigns/dt=2026-03-29/campaigns.csv',
          rows: 3,
          bytes: 120,
          sha256: 'a'.repeat(64),
        },
      ],
    })
  })
})
