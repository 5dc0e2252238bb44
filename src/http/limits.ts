// The API's size limits, in one place: the app enforces them and the OpenAPI document states them.

/** Records accepted in one POST (more answer 413). */
export const defaultMaxRecords = 1_000

/** Bytes accepted in one request body (more answer 413). */
export const defaultBodyLimit = 10 * 1024 * 1024

/**
 * Characters the router matches in one path segment (Fastify's default, 100, is shorter than the
 * 128 an id may have); a longer segment answers 414.
 */
export const maxParamLength = 1024

/** Idempotency keys are stored and indexed: 1 to 255 visible ASCII characters. */
export const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/

/** 1000 -> "1,000", for messages and the OpenAPI document. */
export const formatCount = (n: number) => n.toLocaleString('en-US')
