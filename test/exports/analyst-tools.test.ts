import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { DuckDBInstance } from '@duckdb/node-api'
import { sql } from 'kysely'
import { from as copyFrom } from 'pg-copy-streams'
import { beforeAll, describe, expect, it } from 'vitest'
import { type ColumnKind, describeColumns } from '../../src/exports/columns.ts'
import { exportDay } from '../../src/exports/export-day.ts'
import { campaigns } from '../../src/exports/files/campaigns.ts'
import { dataPath } from '../../src/exports/layout.ts'
import type { LocalFolder } from '../../src/storage/local-folder.ts'
import { addBrand, addCampaign, silentLog, tempFolder } from '../support/fixtures.ts'
import { useTestDatabase } from '../support/test-database.ts'

// The files must load unchanged into the tools analysts use. PostgreSQL's COPY and DuckDB run
// here; pandas runs when a python3 with pandas is on the machine; BigQuery cannot be reached
// offline (its schema is generated and checked in published-schemas.test.ts).

const database = useTestDatabase()
const brand = { id: 'tools', timezone: 'America/New_York' }
const date = '2026-11-01'
const names = ['Winter, "big" sale', 'line\nbreak', 'crlf\r\ninside', 'Zoë 山田 🎉', ' padded ', '']
let plain: LocalFolder
let gzipped: LocalFolder

const pgTypes: Record<ColumnKind, string> = {
  string: 'text',
  integer: 'bigint',
  decimal: 'numeric',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  date: 'date',
}

beforeAll(async () => {
  const { db } = database.current.handle
  await addBrand(db, brand.id, brand.timezone)
  for (const [i, name] of names.entries()) {
    await addCampaign(db, {
      brand_id: brand.id,
      id: `c${i}`,
      name,
      subject: i === 2 ? null : name,
      budget: i === 1 ? '-1234567890.05' : '0.10',
      currency: 'USD',
      started_at: '2026-11-01T01:30:00-04:00',
      // 2026-11-01 is the 25-hour day in New York: the last hour is after the clocks went back.
      updated_at: i === 5 ? '2026-11-02T04:30:00Z' : '2026-11-01T12:00:00Z',
    })
  }
  plain = await tempFolder()
  gzipped = await tempFolder()
  const handle = database.current.handle
  await exportDay({ database: handle, destination: plain, brand, date, log: silentLog })
  await exportDay({ database: handle, destination: gzipped, brand, date, gzip: true, log: silentLog })
})

describe('export files in analysts tools', () => {
  it('load into PostgreSQL with COPY ... CSV HEADER, NULLs and empty strings intact', async (context) => {
    if (database.current.kind === 'pglite') context.skip('COPY FROM STDIN needs a PostgreSQL server')
    const { db, pool } = database.current.handle
    const columns = describeColumns(campaigns.row)
    const ddl = columns.map((c) => `${c.name} ${pgTypes[c.kind]}`).join(', ')
    await sql.raw(`create table loaded_campaigns (${ddl})`).execute(db)
    for (const [folder, gzip] of [
      [plain, false],
      [gzipped, true],
    ] as const) {
      const bytes = await readFile(path.join(folder.root, dataPath(brand.id, 'campaigns', date, gzip)))
      const client = await pool.connect()
      try {
        await pipeline(
          Readable.from([gzip ? gunzipSync(bytes) : bytes]),
          client.query(copyFrom('copy loaded_campaigns from stdin with (format csv, header true)')),
        )
      } finally {
        client.release()
      }
    }
    const loaded = await sql<{ name: string; subject: string | null; budget: string; started_at: Date }>`
      select name, subject, budget::text, started_at from loaded_campaigns order by campaign_id`.execute(db)
    // Each campaign twice, once from the plain file and once from the gzipped one.
    expect(loaded.rows.map((r) => r.name)).toEqual(names.flatMap((name) => [name, name]))
    expect(loaded.rows[4]?.subject).toBeNull()
    expect(loaded.rows[10]?.subject).toBe('')
    expect(loaded.rows[2]?.budget).toBe('-1234567890.05')
    expect(loaded.rows[0]?.started_at.toISOString()).toBe('2026-11-01T05:30:00.000Z')
  })

  it('load into DuckDB with read_csv and hive partitions, plain and gzipped', async () => {
    const duck = await (await DuckDBInstance.create(':memory:')).connect()
    for (const [folder, ext] of [
      [plain, 'csv'],
      [gzipped, 'csv.gz'],
    ] as const) {
      const glob = path.join(folder.root, `*/campaigns/*/*.${ext}`)
      const reader = await duck.runAndReadAll(
        `select dt::varchar as dt, campaign_id, name, subject, budget::varchar as budget, started_at::varchar as started_at
         from read_csv('${glob}', hive_partitioning = true, types = {'budget': 'DECIMAL(18,2)', 'started_at': 'TIMESTAMPTZ'})
         order by campaign_id`,
      )
      const rows = reader.getRowObjects()
      expect(rows.map((r) => r.name ?? '')).toEqual(names)
      expect(rows[0]?.dt).toBe(date)
      expect(rows[1]?.budget).toBe('-1234567890.05')
      expect(rows[2]?.subject).toBeNull()
    }
  })

  it('load into pandas with read_csv', async (context) => {
    const python = ['/usr/bin/python3', 'python3'].find((candidate) => {
      try {
        execFileSync(candidate, ['-c', 'import pandas'], { stdio: 'ignore' })
        return true
      } catch {
        return false
      }
    })
    if (!python) context.skip('no python3 with pandas on this machine (apt-get install python3-pandas)')
    const file = path.join(plain.root, dataPath(brand.id, 'campaigns', date, false))
    const script = `
import json, sys, pandas as pd
df = pd.read_csv(sys.argv[1], dtype={'budget': str}, keep_default_na=False, na_values=[''])
print(json.dumps({'names': [None if pd.isna(v) else v for v in df['name']], 'rows': len(df), 'budget': df['budget'][1]}))`
    const out = JSON.parse(execFileSync(python as string, ['-c', script, file], { encoding: 'utf8' }))
    expect(out.rows).toBe(names.length)
    // pandas reads both NULL and "" as missing unless told otherwise: the CSV cannot say more.
    expect(out.names.slice(0, 5)).toEqual(names.slice(0, 5))
    expect(out.budget).toBe('-1234567890.05')
  })
})
