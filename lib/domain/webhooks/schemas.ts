// SPEC "Webhooks": the shapes of subscriptions and deliveries, requests and answers.
import * as z from 'zod/mini';
import { EVENT_TYPES, eventTypeSchema } from '../events.js';

/** SPEC: a payer is 1-128 characters with no control characters. */
const payerSchema = z.string().check(z.regex(/^[^\u0000-\u001F\u007F-\u009F]{1,128}$/u, 'must be 1-128 characters with no control characters'));

export const MAX_URL_LENGTH = 2048;

export const createWebhookBodySchema = z.strictObject({
  url: z.string().check(z.minLength(1), z.maxLength(MAX_URL_LENGTH), z.meta({ description: 'Where events are POSTed; https:// to a public host (under npm start also http://localhost, 127.0.0.1, [::1]).' })),
  types: z.optional(
    z.pipe(
      z.array(eventTypeSchema).check(z.minLength(1)),
      // Kept in SPEC's order, each once.
      z.transform((types) => EVENT_TYPES.filter((type) => types.includes(type))),
    ),
  ).check(z.meta({ description: 'Event types to receive; every type when absent.' })),
  payer: z.optional(z.nullable(payerSchema)).check(z.meta({ description: "Only this payer's events. A points:events token defaults to (and may only give) its own payer; null or absent with points:admin: every event." })),
});
export type CreateWebhookBody = z.output<typeof createWebhookBodySchema>;

export const SUBSCRIPTION_STATUSES = ['enabled', 'disabled'] as const;

export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  types: z.array(eventTypeSchema),
  payer: z.nullable(z.string()),
  status: z.enum(SUBSCRIPTION_STATUSES),
  createdAt: z.string().check(z.meta({ format: 'date-time' })),
});
export type Webhook = z.infer<typeof webhookSchema>;

export const webhookWithSecretSchema = z.extend(webhookSchema, { secret: z.string().check(z.meta({ description: 'whsec_<base64>: shown only here and by rotation.' })) });
export const webhookListSchema = z.object({ items: z.array(webhookSchema) });
export const rotatedSecretSchema = z.object({ secret: z.string() });

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const deliverySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().check(z.meta({ type: 'integer' })),
  lastAttemptAt: z.nullable(z.string().check(z.meta({ format: 'date-time' }))),
  lastStatus: z.nullable(z.number().check(z.meta({ type: 'integer', description: 'The last HTTP status; null when there was no answer.' }))),
  nextAttemptAt: z.nullable(z.string().check(z.meta({ format: 'date-time', description: 'Null unless pending.' }))),
});
export type DeliveryView = z.infer<typeof deliverySchema>;
export const deliveryPageSchema = z.object({ items: z.array(deliverySchema), nextCursor: z.nullable(z.string()) });
