// A calendar date as the string YYYY-MM-DD, with no timezone: brands' local days are named by it,
// and plain UTC arithmetic on it is exact because it never meets a DST change.

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/

export function isValidDate(date: string): boolean {
  const match = datePattern.exec(date)
  if (!match) return false
  const [, y, m, d] = match.map(Number) as [number, number, number, number]
  const parsed = new Date(Date.UTC(y, m - 1, d))
  return parsed.getUTCFullYear() === y && parsed.getUTCMonth() === m - 1 && parsed.getUTCDate() === d
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10)
}
