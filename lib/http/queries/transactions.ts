// The query of GET transactions.
import * as z from 'zod/mini';

const LIMIT_MESSAGE = 'must be an integer from 1 to 1000';

/** `limit` of a page: 1-1000, default 100. */
export const limitSchema = z
  ._default(
    z.pipe(z.string().check(z.regex(/^\d{1,4}$/, LIMIT_MESSAGE)), z.transform(Number)).check(z.refine((n) => n >= 1 && n <= 1000, LIMIT_MESSAGE)),
    100,
  )
  .check(z.meta({ type: 'integer', minimum: 1, maximum: 1000, default: 100 }));

export const transactionsQuerySchema = z.object({
  limit: limitSchema,
  cursor: z.optional(z.string().check(z.maxLength(512))).check(z.meta({ description: 'nextCursor of the previous page.' })),
});
