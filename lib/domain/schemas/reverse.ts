// The body of POST reverse.
import * as z from 'zod/mini';
import { MAX_POINTS, isInteger, pointsMeta } from './fields.js';

export const reverseBodySchema = z.strictObject({
  points: z
    .optional(z.number().check(isInteger(), z.refine((n) => n > 0, 'must be positive')))
    .check(z.meta({ ...pointsMeta(1, MAX_POINTS), description: 'Points to give back; without it, everything not yet reversed.' })),
});
export type ReverseBody = z.infer<typeof reverseBodySchema>;
