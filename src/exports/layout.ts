// Where a brand-day's objects live, relative to the destination root. One root per file type
// with hive-style dt= partitions, so each file type is one external table:
//   <brand>/<file_type>/dt=YYYY-MM-DD/<file_type>.csv[.gz]
//   <brand>/_manifests/dt=YYYY-MM-DD.json
//   <brand>/_quarantine/dt=YYYY-MM-DD/<file_type>.ndjson

export function dataFolder(brandId: string, fileType: string, date: string): string {
  return `${brandId}/${fileType}/dt=${date}/`
}

export function dataPath(brandId: string, fileType: string, date: string, gzip: boolean): string {
  return `${dataFolder(brandId, fileType, date)}${fileType}.csv${gzip ? '.gz' : ''}`
}

export function manifestPath(brandId: string, date: string): string {
  return `${brandId}/_manifests/dt=${date}.json`
}

export function quarantineFolder(brandId: string, date: string): string {
  return `${brandId}/_quarantine/dt=${date}/`
}

export function quarantinePath(brandId: string, fileType: string, date: string): string {
  return `${quarantineFolder(brandId, date)}${fileType}.ndjson`
}
