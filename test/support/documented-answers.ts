import { expect } from 'vitest'
import type { z } from 'zod'
import { openApiDocument } from '../../src/http/openapi.ts'
import { apiErrorResponseSchema } from '../../src/http/response-schemas.ts'

// Checks that an API answer is what the OpenAPI document says: its status is documented for the
// route, and its body parses with the zod schema the document is generated from.

/** What tests need of an inject() answer. */
export type Answer = { statusCode: number; json(): unknown; body: string; headers: Record<string, unknown> }

const document = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }

/** The document lists `status` among the responses of `method path` (a path template). */
export function documented(path: string, method: string, status: number): void {
  const operation = document.paths[path]?.[method.toLowerCase()]
  expect(Object.keys(operation?.responses ?? {}), `${method} ${path} documents ${status}`).toContain(String(status))
}

/** The answer's body parses with `schema` (no issues); the parsed body. */
export function expectMatches<T extends z.ZodType>(schema: T, answer: Pick<Answer, 'json'>, what = ''): z.infer<T> {
  const parsed = schema.safeParse(answer.json())
  expect(parsed.success ? [] : parsed.error.issues, what).toEqual([])
  return parsed.data as z.infer<T>
}

/** The answer is a documented `status` in the APIErrorResponse shape; the parsed error. */
export function expectError(
  answer: Answer,
  status: number,
  path: string,
  method: string,
): z.infer<typeof apiErrorResponseSchema> {
  expect(answer.statusCode, answer.body).toBe(status)
  documented(path, method, status)
  return expectMatches(apiErrorResponseSchema, answer, `${method} ${path} ${status}`)
}
