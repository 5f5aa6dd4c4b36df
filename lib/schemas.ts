// The request and response shapes of SPEC "Routes" and "Fields". Requests are validated with
// these schemas and /openapi.json is generated from them, so the two cannot drift apart.
//
// zod/mini, not classic zod: its functions tree-shake, so a bundle carries only the validators
// it uses (classic zod's methods keep the whole library in every function). The idioms:
//   constraints and refinements  z.string().check(z.maxLength(64), z.refine(fn, 'message'))
//   documentation for OpenAPI    .check(z.meta({ description: '…' }))  (last, on the final schema)
//   wrappers are functions       z.optional(s), z.nullable(s), z._default(s, value)
//   parse into another type      z.pipe(s, z.transform((value, ctx) => …))
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { parseTimestamp } from './timestamp.js';

// zod/mini ships without messages ("Invalid input"); the English ones say what was expected.
z.config(en());

export const MAX_POINTS = Number.MAX_SAFE_INTEGER; // 2^53 - 1

const CONTROL_CHARS = /[\u0000-\u001F\u007F-\u009F]/;

export const userIdSchema = z
  .string()
  .check(
    z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ -'),
    z.meta({ description: 'User id; the bare routes act on the user "default" (AUTH_MODE=off) or on the token\'s sub (jwt).' }),
  );

export const payerSchema = z
  .string()
  .check(
    z.refine((s) => s.isWellFormed(), 'must be valid Unicode (no lone surrogates)'),
    z.refine((s) => [...s].length >= 1 && [...s].length <= 128, 'must be 1-128 characters'),
    z.refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters'),
    z.meta({ minLength: 1, maxLength: 128, description: 'Compared exactly: case-sensitive, not trimmed.' }),
  );

// Integers of any size pass the schema: SPEC wants an add beyond 2^53 - 1 refused as
// LIMIT_EXCEEDED and an oversized spend as INSUFFICIENT_POINTS, not as malformed input.
const isInteger = () => z.refine<number>(Number.isInteger, 'must be an integer');

export const timestampSchema = z
  .pipe(
    z.string().check(z.maxLength(64)),
    z.transform((text: string, ctx) => {
      const parsed = parseTimestamp(text);
      if ('error' in parsed) {
        ctx.issues.push({ code: 'custom', message: parsed.error, input: text });
        return z.NEVER;
      }
      return parsed;
    }),
  )
  .check(z.meta({ type: 'string', format: 'date-time', description: 'RFC 3339; returned normalised to UTC.' }));

export const addBodySchema = z
  .strictObject({
    payer: payerSchema,
    points: z
      .number()
      .check(isInteger(), z.refine((n) => n !== 0, 'must not be zero'), z.meta({ type: 'integer', description: 'Non-zero; negative deducts from the payer.' })),
    timestamp: timestampSchema,
    expiresAt: z.optional(timestampSchema).check(z.meta({ description: 'Positive adds only: from this instant the lot is expired. Later than timestamp.' })),
  })
  .check(
    // Runs only on a body whose fields already passed (zod skips refinements of a failed object).
    z.superRefine((body, ctx) => {
      if (body.expiresAt === undefined) return;
      if (body.points < 0) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'only positive adds can expire', input: body.expiresAt });
      else if (body.expiresAt.sortKey <= body.timestamp.sortKey) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be later than timestamp', input: body.expiresAt });
    }),
  );
export type AddBody = z.infer<typeof addBodySchema>;

export const spendBodySchema = z.strictObject({
  points: z.number().check(isInteger(), z.refine((n) => n > 0, 'must be positive'), z.meta({ type: 'integer', exclusiveMinimum: 0 })),
});
export type SpendBody = z.infer<typeof spendBodySchema>;

export const reverseBodySchema = z.strictObject({
  points: z
    .optional(z.number().check(isInteger(), z.refine((n) => n > 0, 'must be positive')))
    .check(z.meta({ type: 'integer', exclusiveMinimum: 0, description: 'Points to give back; without it, everything not yet reversed.' })),
});
export type ReverseBody = z.infer<typeof reverseBodySchema>;

const LIMIT_MESSAGE = 'must be an integer from 1 to 1000';

export const transactionsQuerySchema = z.object({
  limit: z
    ._default(
      z.pipe(z.string().check(z.regex(/^\d{1,4}$/, LIMIT_MESSAGE)), z.transform(Number)).check(z.refine((n) => n >= 1 && n <= 1000, LIMIT_MESSAGE)),
      100,
    )
    .check(z.meta({ type: 'integer', minimum: 1, maximum: 1000, default: 100 })),
  cursor: z.optional(z.string().check(z.maxLength(512))).check(z.meta({ description: 'nextCursor of the previous page.' })),
});

export const idempotencyKeySchema = z.string().check(z.regex(/^[\x21-\x7E]{1,128}$/, 'must be 1-128 visible ASCII characters'));
