// The body of POST spend.
import * as z from 'zod/mini';
import { isInteger } from './fields.js';

export const spendBodySchema = z.strictObject({
  points: z.number().check(isInteger(), z.refine((n) => n > 0, 'must be positive'), z.meta({ type: 'integer', exclusiveMinimum: 0 })),
});
export type SpendBody = z.infer<typeof spendBodySchema>;
