/**
 * Parses the JSON text of ingested records (an API body, an NDJSON line, a CSV cell holding JSON).
 * Every path that turns integrators' text into records goes through here.
 */
export function parseRecordJson(text: string): unknown {
  return JSON.parse(text)
}
