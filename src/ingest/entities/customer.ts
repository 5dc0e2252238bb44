import { z } from 'zod'
import { defineEntity } from '../entity-definition.ts'
import { attributes, calendarDate, externalId, sourceUpdatedAt, text } from '../fields.ts'

export const customerSchema = z.strictObject({
  id: externalId,
  email: z.email().max(254).nullable().optional(),
  phone: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'must be E.164, e.g. +4915112345678')
    .nullable()
    .optional(),
  first_name: text(200).nullable().optional(),
  last_name: text(200).nullable().optional(),
  birth_date: calendarDate.nullable().optional(),
  email_consent: z.boolean().optional(),
  sms_consent: z.boolean().optional(),
  attributes: attributes.optional(),
  updated_at: sourceUpdatedAt,
})

export type CustomerInput = z.infer<typeof customerSchema>

export const customers = defineEntity({
  type: 'customers',
  eventPrefix: 'CUSTOMER',
  table: 'customers',
  schema: customerSchema,
  columns: (r) => ({
    email: r.email ?? null,
    phone: r.phone ?? null,
    first_name: r.first_name ?? null,
    last_name: r.last_name ?? null,
    birth_date: r.birth_date ?? null,
    email_consent: r.email_consent ?? false,
    sms_consent: r.sms_consent ?? false,
    attributes: r.attributes ?? {},
  }),
  references: () => [],
})
