// The query of GET transactions, and the `limit` every paged route shares.
import * as z from 'zod/mini';
import { MAX_CURSOR_LENGTH, PAGE_LIMIT } from '../../domain/schemas/fields.js';

const LIMIT_MESSAGE = `must be an integer from ${PAGE_LIMIT.minimum} to ${PAGE_LIMIT.maximum}`;
const LIMIT_DIGITS = String(PAGE_LIMIT.maximum).length;

/** `limit` of a page: 1-1000, default 100. */
export const limitSchema = z
  ._default(
    z
      .pipe(z.string().check(z.regex(new RegExp(`^\\d{1,${LIMIT_DIGITS}}$`), LIMIT_MESSAGE)), z.transform(Number))
      .check(z.refine((n) => n >= PAGE_LIMIT.minimum && n <= PAGE_LIMIT.maximum, LIMIT_MESSAGE)),
    PAGE_LIMIT.default,
  )
  .check(z.meta({ type: 'integer', format: 'int32', ...PAGE_LIMIT, description: 'Items per page.' }));

export const transactionsQuerySchema = z.object({
  limit: limitSchema,
  cursor: z
    .optional(z.string().check(z.maxLength(MAX_CURSOR_LENGTH)))
    .check(z.meta({ description: 'nextCursor of the previous page; refused unless it was given for this user.' })),
});
