import { z } from 'zod'
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
