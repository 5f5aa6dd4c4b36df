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

export const userIdSchema = z
  .string()
  .check(
    z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ -'),
    z.meta({ description: 'User id; the bare routes act on the user "default" (AUTH_MODE=off) or on the token\'s sub (jwt).' }),
  );

// Integers of any size pass the schema: SPEC wants an add beyond 2^53 - 1 refused as
// LIMIT_EXCEEDED and an oversized spend as INSUFFICIENT_POINTS, not as malformed input.
export const isInteger = () => z.refine<number>(Number.isInteger, 'must be an integer');

export const idempotencyKeySchema = z.string().check(z.regex(/^[\x21-\x7E]{1,128}$/, 'must be 1-128 visible ASCII characters'));
