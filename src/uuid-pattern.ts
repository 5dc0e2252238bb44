/** A UUID in its text form, any version, either case: ids of webhooks, events, runs and keys. */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
