// SPEC "Webhooks": the shapes of subscriptions and deliveries, requests and answers.
import * as z from 'zod/mini';
import { MAX_BODY_BYTES } from '../limits.js';
import { EVENT_TYPES, MAX_EVENT_ID_LENGTH, eventTypeSchema } from '../events.js';
import { MAX_PAYER_LENGTH, payerSchema as ledgerPayerSchema } from '../schemas/add.js';
import { MAX_CURSOR_LENGTH, MAX_TIMESTAMP_LENGTH, PAGE_LIMIT } from '../schemas/fields.js';
import { secretMeta } from './secret.js';

/** SPEC: a payer is 1-128 characters with no control characters. */
const payerSchema = z.string().check(
  z.regex(/^[^\u0000-\u001F\u007F-\u009F]{1,128}$/u, 'must be 1-128 characters with no control characters'),
  z.meta({ minLength: 1, maxLength: MAX_PAYER_LENGTH }),
);
const dateTime = (description?: string) => z.string().check(z.meta({ format: 'date-time', maxLength: MAX_TIMESTAMP_LENGTH, ...(description ? { description } : {}) }));

/** `wh_` and 12 random bytes in hex (newSubscription). */
export const webhookIdMeta = { pattern: '^wh_[0-9a-f]{24}$', maxLength: 3 + 24 } as const;
/** `dl_`, the event's epoch ms in base 36 (9 digits until 2059, 11 at most) and 20 hex digits of a hash (deliveryIdOf). */
export const deliveryIdMeta = { pattern: '^dl_[0-9a-z]{9,11}[0-9a-f]{20}$', maxLength: 3 + 11 + 20 } as const;

export const MAX_URL_LENGTH = 2048;

export const createWebhookBodySchema = z.strictObject({
  url: z.string().check(z.minLength(1), z.maxLength(MAX_URL_LENGTH), z.meta({ description: 'Where events are POSTed; https:// to a public host (under npm start also http://localhost, 127.0.0.1, [::1]).' })),
  types: z.optional(
    z.pipe(
      // Repeats pass (and are dropped), so only the body's size bounds the list: each entry takes its quotes and a comma.
      z.array(eventTypeSchema).check(z.minLength(1), z.meta({ maxItems: Math.floor(MAX_BODY_BYTES / (Math.min(...EVENT_TYPES.map((t) => t.length)) + 3)) })),
      // Kept in SPEC's order, each once.
      z.transform((types) => EVENT_TYPES.filter((type) => types.includes(type))),
    ),
  ).check(z.meta({ description: 'Event types to receive; every type when absent.' })),
  payer: z.optional(z.nullable(payerSchema)).check(z.meta({ description: "Only this payer's events. A points:events token defaults to (and may only give) its own payer; null or absent with points:admin: every event." })),
});
export type CreateWebhookBody = z.output<typeof createWebhookBodySchema>;

export const SUBSCRIPTION_STATUSES = ['enabled', 'disabled'] as const;

export const webhookSchema = z.object({
  id: z.string().check(z.meta(webhookIdMeta)),
  url: z.string().check(z.meta({ maxLength: MAX_URL_LENGTH })),
  types: z.array(eventTypeSchema).check(z.meta({ maxItems: EVENT_TYPES.length, uniqueItems: true })),
  payer: z.nullable(ledgerPayerSchema),
  status: z.enum(SUBSCRIPTION_STATUSES),
  createdAt: dateTime(),
});
export type Webhook = z.infer<typeof webhookSchema>;

export const webhookWithSecretSchema = z.extend(webhookSchema, { secret: z.string().check(z.meta({ ...secretMeta, description: 'whsec_<base64>: shown only here and by rotation.' })) });
/**
 * No cap in code on subscriptions: the listing is one Lambda answer, at most 6 MB, and each takes
 * more than 100 bytes of JSON.
 */
const MAX_LISTED_WEBHOOKS = Math.floor((6 * 1024 * 1024) / 100);
export const webhookListSchema = z.object({ items: z.array(webhookSchema).check(z.meta({ maxItems: MAX_LISTED_WEBHOOKS })) });
export const rotatedSecretSchema = z.object({ secret: z.string().check(z.meta(secretMeta)) });

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const deliverySchema = z.object({
  id: z.string().check(z.meta(deliveryIdMeta)),
  eventId: z.string().check(z.meta({ maxLength: MAX_EVENT_ID_LENGTH })),
  status: z.enum(DELIVERY_STATUSES),
  // No cap besides the number type: every operator's retry of a failed delivery adds an attempt.
  attempts: z.number().check(z.meta({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  lastAttemptAt: z.nullable(dateTime()),
  // Node's HTTP parser takes three-digit statuses only.
  lastStatus: z.nullable(z.number().check(z.meta({ type: 'integer', format: 'int32', minimum: 100, maximum: 999, description: 'The last HTTP status; null when there was no answer.' }))),
  nextAttemptAt: z.nullable(dateTime('Null unless pending.')),
});
export type DeliveryView = z.infer<typeof deliverySchema>;
export const deliveryPageSchema = z.object({
  items: z.array(deliverySchema).check(z.meta({ maxItems: PAGE_LIMIT.maximum })),
  nextCursor: z.nullable(z.string().check(z.meta({ maxLength: MAX_CURSOR_LENGTH }))),
});
