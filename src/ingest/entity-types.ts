/** The six ingested entity types, by the name used in URLs, files and references. */
export const entityTypes = ['customers', 'customer_events', 'transactions', 'products', 'groups', 'outlets'] as const

export type EntityType = (typeof entityTypes)[number]
