// The body of POST spend.
import * as z from 'zod/mini';
import { MAX_POINTS, isInteger, pointsMeta } from './fields.js';

export const spendBodySchema = z.strictObject({
  points: z.number().check(isInteger(), z.refine((n) => n > 0, 'must be positive'), z.meta(pointsMeta(1, MAX_POINTS))),
});
export type SpendBody = z.infer<typeof spendBodySchema>;
