// The response shapes of SPEC "Routes": /openapi.json documents them and the code takes its
// types from them. Apart from the request schemas (lib/domain/schemas/*.ts), so that the API
// functions, which only validate requests, do not build these at start-up (only the OpenAPI
// function does). Every string, integer and array states the bound the service keeps.
import * as z from 'zod/mini';
import { MAX_PAYERS_PER_USER, PROBLEM_LIMITS } from '../limits.js';
import { payerSchema } from './add.js';
import { MAX_CURSOR_LENGTH, MAX_POINTS, MAX_TIMESTAMP_LENGTH, PAGE_LIMIT, ledgerIdMeta, pointsMeta } from './fields.js';

const points = (minimum: number, maximum: number, description?: string) =>
  z.number().check(z.meta({ ...pointsMeta(minimum, maximum), ...(description ? { description } : {}) }));
const taken = () => points(-MAX_POINTS, -1);
const givenBack = () => points(1, MAX_POINTS);

const ledgerId = (description?: string) =>
  z.string().check(z.meta({ ...ledgerIdMeta, ...(description ? { description } : {}) }));
const timestamp = (description?: string) =>
  z.string().check(z.meta({ format: 'date-time', maxLength: MAX_TIMESTAMP_LENGTH, ...(description ? { description } : {}) }));

/** One entry per payer touched; a user has at most MAX_PAYERS_PER_USER of them. */
const perPayer = <T extends z.core.$ZodType>(entry: T) => z.array(entry).check(z.maxLength(MAX_PAYERS_PER_USER));

export const breakdownSchema = perPayer(z.object({ payer: payerSchema, points: taken() }));
export type Breakdown = z.infer<typeof breakdownSchema>;

export const addItemSchema = z.object({
  id: ledgerId(),
  type: z.literal('add'),
  payer: payerSchema,
  points: points(-MAX_POINTS, MAX_POINTS),
  timestamp: timestamp(),
  remaining: z.optional(points(0, MAX_POINTS, 'Only on positive adds: what is left of the lot.')),
  expiresAt: z.optional(timestamp('When the lot expires, if it does.')),
  availableAt: z.optional(timestamp('When the lot becomes spendable, if it was added pending.')),
});
export type AddItem = z.infer<typeof addItemSchema>;

export const spendItemSchema = z.object({
  id: ledgerId(),
  type: z.literal('spend'),
  points: taken(),
  timestamp: timestamp('When the spend was recorded.'),
  breakdown: breakdownSchema,
  reversed: points(0, MAX_POINTS, 'Points of this spend given back so far.'),
  hold: z.optional(ledgerId('Id of the hold this spend captured, if it is a capture.')),
});
export type SpendItem = z.infer<typeof spendItemSchema>;

export const HOLD_STATUSES = ['held', 'captured', 'released', 'expired'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

export const holdItemSchema = z.object({
  id: ledgerId(),
  type: z.literal('hold'),
  points: points(-MAX_POINTS, -1, 'Negative: the points held.'),
  timestamp: timestamp('When the hold was recorded.'),
  expiresAt: timestamp('When the hold releases itself if still held.'),
  breakdown: breakdownSchema,
  status: z.enum(HOLD_STATUSES).check(z.meta({ description: "The hold's current status." })),
  captured: points(0, MAX_POINTS, 'Points captured (0 unless captured).'),
});
export type HoldItem = z.infer<typeof holdItemSchema>;

/** Points given back per payer (reversals, releases). */
const givenBackBreakdown = (description: string) => perPayer(z.object({ payer: payerSchema, points: givenBack() })).check(z.meta({ description }));

export const releaseItemSchema = z.object({
  id: ledgerId(),
  type: z.literal('release'),
  hold: ledgerId('Id of the hold released.'),
  points: points(1, MAX_POINTS, 'Positive: points given back.'),
  timestamp: timestamp("When it was recorded; the hold's expiresAt when it expired."),
  breakdown: givenBackBreakdown('Points given back per payer, the newest taken first.'),
  expired: z.optional(z.literal(true).check(z.meta({ description: 'Only when the hold reached its expiresAt still held.' }))),
});
export type ReleaseItem = z.infer<typeof releaseItemSchema>;

export const expireItemSchema = z.object({
  id: ledgerId(),
  type: z.literal('expire'),
  payer: payerSchema,
  points: points(-MAX_POINTS, -1, 'Negative: what the lot still held.'),
  timestamp: timestamp("The lot's expiresAt."),
  lot: ledgerId('Id of the add whose lot expired.'),
});
export type ExpireItem = z.infer<typeof expireItemSchema>;

export const reversalItemSchema = z.object({
  id: ledgerId(),
  type: z.literal('reversal'),
  spend: ledgerId('Id of the spend reversed.'),
  points: points(1, MAX_POINTS, 'Positive: points given back.'),
  timestamp: timestamp('When the reversal was recorded.'),
  breakdown: givenBackBreakdown('Points given back per payer, in the order given back.'),
});
export type ReversalItem = z.infer<typeof reversalItemSchema>;

export const ledgerItemSchema = z.discriminatedUnion('type', [addItemSchema, spendItemSchema, expireItemSchema, reversalItemSchema, holdItemSchema, releaseItemSchema]);
export type LedgerItem = z.infer<typeof ledgerItemSchema>;

export const ledgerPageSchema = z.object({
  items: z.array(ledgerItemSchema).check(z.maxLength(PAGE_LIMIT.maximum)),
  nextCursor: z.nullable(z.string().check(z.maxLength(MAX_CURSOR_LENGTH))),
});
export type LedgerPage = z.infer<typeof ledgerPageSchema>;

export const balanceSchema = z.record(payerSchema, points(0, MAX_POINTS)).check(z.meta({ maxProperties: MAX_PAYERS_PER_USER }));

const text = (maxLength: number) => z.string().check(z.maxLength(maxLength));

export const balanceDetailSchema = z
  .record(payerSchema, z.object({ available: points(0, MAX_POINTS), held: points(0, MAX_POINTS), pending: points(0, MAX_POINTS) }))
  .check(z.meta({ maxProperties: MAX_PAYERS_PER_USER }));

export const problemSchema = z.object({
  type: text(256).check(z.meta({ format: 'uri-reference', description: 'A page that documents the code.' })),
  title: text(128),
  status: z.number().check(z.meta({ type: 'integer', format: 'int32', minimum: 400, maximum: 599 })),
  detail: text(PROBLEM_LIMITS.detail),
  code: text(64).check(z.regex(/^[A-Z][A-Z_]*$/)),
  errors: z.optional(
    z.array(z.object({ path: text(PROBLEM_LIMITS.path), message: text(PROBLEM_LIMITS.message) })).check(z.maxLength(PROBLEM_LIMITS.errors)),
  ),
});
export type Problem = z.infer<typeof problemSchema>;
