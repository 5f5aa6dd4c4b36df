// The request and response shapes of SPEC "Routes" and "Fields". Requests are validated with
// these schemas and /openapi.json is generated from them, so the two cannot drift apart.
import { z } from 'zod';
import { parseTimestamp } from './timestamp.js';

export const MAX_POINTS = Number.MAX_SAFE_INTEGER; // 2^53 - 1

const CONTROL_CHARS = /[\u0000-\u001F\u007F-\u009F]/;

export const userIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ -')
  .meta({ description: 'User id; the bare routes act on the user "default" (AUTH_MODE=off) or on the token\'s sub (jwt).' });

export const payerSchema = z
  .string()
  .refine((s) => s.isWellFormed(), 'must be valid Unicode (no lone surrogates)')
  .refine((s) => [...s].length >= 1 && [...s].length <= 128, 'must be 1-128 characters')
  .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters')
  .meta({ minLength: 1, maxLength: 128, description: 'Compared exactly: case-sensitive, not trimmed.' });

// Integers of any size pass the schema: SPEC wants an add beyond 2^53 - 1 refused as
// LIMIT_EXCEEDED and an oversized spend as INSUFFICIENT_POINTS, not as malformed input.
const integer = () =>
  z
    .number()
    .refine(Number.isInteger, 'must be an integer')
    .meta({ type: 'integer' });

export const timestampSchema = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const parsed = parseTimestamp(text);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed;
  })
  .meta({ type: 'string', format: 'date-time', description: 'RFC 3339; returned normalised to UTC.' });

export const addBodySchema = z
  .strictObject({
    payer: payerSchema,
    points: integer().refine((n) => n !== 0, 'must not be zero').meta({ description: 'Non-zero; negative deducts from the payer.' }),
    timestamp: timestampSchema,
    expiresAt: timestampSchema.optional().meta({ description: 'Positive adds only: from this instant the lot is expired. Later than timestamp.' }),
  })
  .superRefine((body, ctx) => {
    // Runs only on a body whose fields already passed (zod skips refinements of a failed object).
    if (body.expiresAt === undefined) return;
    if (body.points < 0) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'only positive adds can expire' });
    else if (body.expiresAt.sortKey <= body.timestamp.sortKey) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be later than timestamp' });
  });
export type AddBody = z.infer<typeof addBodySchema>;

export const spendBodySchema = z.strictObject({
  points: integer().refine((n) => n > 0, 'must be positive').meta({ exclusiveMinimum: 0 }),
});
export type SpendBody = z.infer<typeof spendBodySchema>;

export const reverseBodySchema = z.strictObject({
  points: integer()
    .refine((n) => n > 0, 'must be positive')
    .optional()
    .meta({ exclusiveMinimum: 0, description: 'Points to give back; without it, everything not yet reversed.' }),
});
export type ReverseBody = z.infer<typeof reverseBodySchema>;

export const transactionsQuerySchema = z.object({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be an integer from 1 to 1000')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, 'must be an integer from 1 to 1000')
    .default(100)
    .meta({ type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
  cursor: z.string().max(512).optional().meta({ description: 'nextCursor of the previous page.' }),
});

export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7E]{1,128}$/, 'must be 1-128 visible ASCII characters');

// Responses (documentation and the types the service returns).

export const breakdownSchema = z.array(z.object({ payer: z.string(), points: z.number().meta({ type: 'integer' }) }));
export type Breakdown = z.infer<typeof breakdownSchema>;

export const addItemSchema = z.object({
  id: z.string(),
  type: z.literal('add'),
  payer: z.string(),
  points: z.number().meta({ type: 'integer' }),
  timestamp: z.string().meta({ format: 'date-time' }),
  remaining: z.number().meta({ type: 'integer', description: 'Only on positive adds: what is left of the lot.' }).optional(),
  expiresAt: z.string().meta({ format: 'date-time', description: 'When the lot expires, if it does.' }).optional(),
});
export type AddItem = z.infer<typeof addItemSchema>;

export const spendItemSchema = z.object({
  id: z.string(),
  type: z.literal('spend'),
  points: z.number().meta({ type: 'integer' }),
  timestamp: z.string().meta({ format: 'date-time', description: 'When the spend was recorded.' }),
  breakdown: breakdownSchema,
  reversed: z.number().meta({ type: 'integer', description: 'Points of this spend given back so far.' }),
});
export type SpendItem = z.infer<typeof spendItemSchema>;

export const expireItemSchema = z.object({
  id: z.string(),
  type: z.literal('expire'),
  payer: z.string(),
  points: z.number().meta({ type: 'integer', description: 'Negative: what the lot still held.' }),
  timestamp: z.string().meta({ format: 'date-time', description: "The lot's expiresAt." }),
  lot: z.string().meta({ description: 'Id of the add whose lot expired.' }),
});
export type ExpireItem = z.infer<typeof expireItemSchema>;

export const reversalItemSchema = z.object({
  id: z.string(),
  type: z.literal('reversal'),
  spend: z.string().meta({ description: 'Id of the spend reversed.' }),
  points: z.number().meta({ type: 'integer', description: 'Positive: points given back.' }),
  timestamp: z.string().meta({ format: 'date-time', description: 'When the reversal was recorded.' }),
  breakdown: breakdownSchema.meta({ description: 'Points given back per payer, in the order given back.' }),
});
export type ReversalItem = z.infer<typeof reversalItemSchema>;

export const ledgerItemSchema = z.discriminatedUnion('type', [addItemSchema, spendItemSchema, expireItemSchema, reversalItemSchema]);
export type LedgerItem = z.infer<typeof ledgerItemSchema>;

export const ledgerPageSchema = z.object({ items: z.array(ledgerItemSchema), nextCursor: z.string().nullable() });
export type LedgerPage = z.infer<typeof ledgerPageSchema>;

export const balanceSchema = z.record(z.string(), z.number().meta({ type: 'integer' }));

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().meta({ type: 'integer' }),
  detail: z.string(),
  code: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof problemSchema>;
