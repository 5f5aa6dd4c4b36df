// The fields every function validates, and what the request schemas share. The request schemas
// live one module per operation (lib/domain/schemas/add.ts, …), so that each function builds only its own
// at start-up: zod schemas are objects made when their module loads, and a bundle keeps every
// schema of a module it imports.
//
// zod/mini, not classic zod: its functions tree-shake, so a bundle carries only the validators
// it uses (classic zod's methods keep the whole library in every function). The idioms:
//   constraints and refinements  z.string().check(z.maxLength(64), z.refine(fn, 'message'))
//   documentation for OpenAPI    .check(z.meta({ description: '…' }))  (last, on the final schema)
//   wrappers are functions       z.optional(s), z.nullable(s), z._default(s, value)
//   parse into another type      z.pipe(s, z.transform((value, ctx) => …))
import { en } from 'zod/locales';
import * as z from 'zod/mini';

// zod/mini ships without messages ("Invalid input"); the English ones say what was expected.
z.config(en());

export const MAX_POINTS = Number.MAX_SAFE_INTEGER; // 2^53 - 1

/**
 * Points as /openapi.json states them: 64-bit integers within [minimum, maximum]. The bound is
 * enforced by the ledger, not the schema (see isInteger): no balance or total passes MAX_POINTS.
 */
export const pointsMeta = (minimum: number, maximum: number) => ({ type: 'integer', format: 'int64', minimum, maximum }) as const;

/** SPEC "Fields" and "Routes": the lengths the schemas below enforce, and the documents state. */
export const MAX_USER_ID_LENGTH = 64;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
export const MAX_TIMESTAMP_LENGTH = 64;
export const MAX_CURSOR_LENGTH = 512;
/** Ledger ids (lib/domain/ids.ts): the sequence number, a dash, and 4 random bytes in hex. */
export const LEDGER_ID_PATTERN = /^([1-9]\d{0,15})-[0-9a-f]{8}$/;
/** A ledger id as /openapi.json states it (answers and path parameters). */
export const ledgerIdMeta = { pattern: LEDGER_ID_PATTERN.source, maxLength: 16 + 1 + 8 } as const;
/** A page of the ledger: `limit` and the items it may hold. */
export const PAGE_LIMIT = { minimum: 1, maximum: 1000, default: 100 } as const;

export const userIdSchema = z
  .string()
  .check(
    z.regex(new RegExp(`^[A-Za-z0-9_-]{1,${MAX_USER_ID_LENGTH}}$`), `must be 1-${MAX_USER_ID_LENGTH} characters of A-Z a-z 0-9 _ -`),
    z.meta({
      minLength: 1,
      maxLength: MAX_USER_ID_LENGTH,
      description: 'User id; the bare routes act on the user "default" (AUTH_MODE=off) or on the token\'s sub (jwt).',
    }),
  );

// Integers of any size pass the schema: SPEC wants an add beyond 2^53 - 1 refused as
// LIMIT_EXCEEDED and an oversized spend as INSUFFICIENT_POINTS, not as malformed input.
export const isInteger = () => z.refine<number>(Number.isInteger, 'must be an integer');

export const idempotencyKeySchema = z
  .string()
  .check(
    z.regex(new RegExp(`^[\\x21-\\x7E]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}$`), `must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters`),
    z.meta({ minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH, description: 'Applies a POST at most once per user; a retry with the same key and body gets the first answer again.' }),
  );
