// The response shapes of SPEC "Routes": /openapi.json documents them and the code takes its
// types from them. Apart from the request schemas (lib/schemas/*.ts), so that the API functions,
// which only validate requests, do not build these at start-up (only the OpenAPI function does).
import * as z from 'zod/mini';

const integer = () => z.number().check(z.meta({ type: 'integer' }));

export const breakdownSchema = z.array(z.object({ payer: z.string(), points: integer() }));
export type Breakdown = z.infer<typeof breakdownSchema>;

export const addItemSchema = z.object({
  id: z.string(),
  type: z.literal('add'),
  payer: z.string(),
  points: integer(),
  timestamp: z.string().check(z.meta({ format: 'date-time' })),
  remaining: z.optional(z.number().check(z.meta({ type: 'integer', description: 'Only on positive adds: what is left of the lot.' }))),
  expiresAt: z.optional(z.string().check(z.meta({ format: 'date-time', description: 'When the lot expires, if it does.' }))),
  availableAt: z.optional(z.string().check(z.meta({ format: 'date-time', description: 'When the lot becomes spendable, if it was added pending.' }))),
});
export type AddItem = z.infer<typeof addItemSchema>;

export const spendItemSchema = z.object({
  id: z.string(),
  type: z.literal('spend'),
  points: integer(),
  timestamp: z.string().check(z.meta({ format: 'date-time', description: 'When the spend was recorded.' })),
  breakdown: breakdownSchema,
  reversed: z.number().check(z.meta({ type: 'integer', description: 'Points of this spend given back so far.' })),
  hold: z.optional(z.string().check(z.meta({ description: 'Id of the hold this spend captured, if it is a capture.' }))),
});
export type SpendItem = z.infer<typeof spendItemSchema>;

export const HOLD_STATUSES = ['held', 'captured', 'released', 'expired'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

export const holdItemSchema = z.object({
  id: z.string(),
  type: z.literal('hold'),
  points: z.number().check(z.meta({ type: 'integer', description: 'Negative: the points held.' })),
  timestamp: z.string().check(z.meta({ format: 'date-time', description: 'When the hold was recorded.' })),
  expiresAt: z.string().check(z.meta({ format: 'date-time', description: 'When the hold releases itself if still held.' })),
  breakdown: breakdownSchema,
  status: z.enum(HOLD_STATUSES).check(z.meta({ description: "The hold's current status." })),
  captured: z.number().check(z.meta({ type: 'integer', description: 'Points captured (0 unless captured).' })),
});
export type HoldItem = z.infer<typeof holdItemSchema>;

export const releaseItemSchema = z.object({
  id: z.string(),
  type: z.literal('release'),
  hold: z.string().check(z.meta({ description: 'Id of the hold released.' })),
  points: z.number().check(z.meta({ type: 'integer', description: 'Positive: points given back.' })),
  timestamp: z.string().check(z.meta({ format: 'date-time', description: "When it was recorded; the hold's expiresAt when it expired." })),
  breakdown: breakdownSchema.check(z.meta({ description: 'Points given back per payer, the newest taken first.' })),
  expired: z.optional(z.literal(true).check(z.meta({ description: 'Only when the hold reached its expiresAt still held.' }))),
});
export type ReleaseItem = z.infer<typeof releaseItemSchema>;

export const expireItemSchema = z.object({
  id: z.string(),
  type: z.literal('expire'),
  payer: z.string(),
  points: z.number().check(z.meta({ type: 'integer', description: 'Negative: what the lot still held.' })),
  timestamp: z.string().check(z.meta({ format: 'date-time', description: "The lot's expiresAt." })),
  lot: z.string().check(z.meta({ description: 'Id of the add whose lot expired.' })),
});
export type ExpireItem = z.infer<typeof expireItemSchema>;

export const reversalItemSchema = z.object({
  id: z.string(),
  type: z.literal('reversal'),
  spend: z.string().check(z.meta({ description: 'Id of the spend reversed.' })),
  points: z.number().check(z.meta({ type: 'integer', description: 'Positive: points given back.' })),
  timestamp: z.string().check(z.meta({ format: 'date-time', description: 'When the reversal was recorded.' })),
  breakdown: z.array(z.object({ payer: z.string(), points: integer() })).check(z.meta({ description: 'Points given back per payer, in the order given back.' })),
});
export type ReversalItem = z.infer<typeof reversalItemSchema>;

export const ledgerItemSchema = z.discriminatedUnion('type', [addItemSchema, spendItemSchema, expireItemSchema, reversalItemSchema, holdItemSchema, releaseItemSchema]);
export type LedgerItem = z.infer<typeof ledgerItemSchema>;

export const ledgerPageSchema = z.object({ items: z.array(ledgerItemSchema), nextCursor: z.nullable(z.string()) });
export type LedgerPage = z.infer<typeof ledgerPageSchema>;

export const balanceSchema = z.record(z.string(), integer());

export const balanceDetailSchema = z.record(z.string(), z.object({ available: integer(), held: integer(), pending: integer() }));

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: integer(),
  detail: z.string(),
  code: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});
export type Problem = z.infer<typeof problemSchema>;
