// The body of POST add (SPEC "Routes"), and its payer and timestamp fields.
import * as z from 'zod/mini';
import { parseTimestamp } from '../timestamp.js';
import { MAX_POINTS, MAX_TIMESTAMP_LENGTH, isInteger, pointsMeta } from './fields.js';

/** In characters (code points), as JSON Schema's maxLength counts them. */
export const MAX_PAYER_LENGTH = 128;
const NO_CONTROL_CHARS = /^[^\u0000-\u001F\u007F-\u009F]*$/;

export const payerSchema = z
  .string()
  .check(
    z.refine((s) => s.isWellFormed(), 'must be valid Unicode (no lone surrogates)'),
    z.refine((s) => [...s].length >= 1 && [...s].length <= MAX_PAYER_LENGTH, `must be 1-${MAX_PAYER_LENGTH} characters`),
    z.regex(NO_CONTROL_CHARS, 'must not contain control characters'),
    z.meta({ minLength: 1, maxLength: MAX_PAYER_LENGTH, description: 'Compared exactly: case-sensitive, not trimmed.' }),
  );

export const timestampSchema = z
  .pipe(
    z.string().check(z.maxLength(MAX_TIMESTAMP_LENGTH)),
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
      .check(
        isInteger(),
        z.refine((n) => n !== 0, 'must not be zero'),
        z.meta({ ...pointsMeta(-MAX_POINTS, MAX_POINTS), not: { const: 0 }, description: 'Non-zero; negative deducts from the payer.' }),
      ),
    timestamp: timestampSchema,
    expiresAt: z.optional(timestampSchema).check(z.meta({ description: 'Positive adds only: from this instant the lot is expired. Later than timestamp (and than availableAt).' })),
    availableAt: z.optional(timestampSchema).check(z.meta({ description: 'Positive adds only: before this instant the lot is pending (not spendable, in no balance).' })),
  })
  .check(
    // Runs only on a body whose fields already passed (zod skips refinements of a failed object).
    z.superRefine((body, ctx) => {
      if (body.availableAt !== undefined && body.points < 0) ctx.addIssue({ code: 'custom', path: ['availableAt'], message: 'only positive adds can be pending', input: body.availableAt });
      if (body.expiresAt === undefined) return;
      if (body.points < 0) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'only positive adds can expire', input: body.expiresAt });
      else if (body.expiresAt.sortKey <= body.timestamp.sortKey) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be later than timestamp', input: body.expiresAt });
      else if (body.availableAt !== undefined && body.expiresAt.sortKey <= body.availableAt.sortKey) {
        ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be later than availableAt', input: body.expiresAt });
      }
    }),
  );
export type AddBody = z.infer<typeof addBodySchema>;
