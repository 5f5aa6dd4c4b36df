// The bodies of POST holds, capture and release (SPEC "Holds and pending points").
import * as z from 'zod/mini';
import { MAX_POINTS, isInteger, pointsMeta } from './fields.js';
import { timestampSchema } from './add.js';

const positive = (description: string) =>
  z.number().check(isInteger(), z.refine((n) => n > 0, 'must be positive'), z.meta({ ...pointsMeta(1, MAX_POINTS), description }));

/** How long a hold may run: SPEC's default and bound (the service checks them against its clock). */
export const HOLD_DEFAULT_MS = 7 * 24 * 3600 * 1000;
export const HOLD_MAX_MS = 31 * 24 * 3600 * 1000;

export const holdBodySchema = z.strictObject({
  points: positive('Points to hold, oldest first.'),
  expiresAt: z.optional(timestampSchema).check(z.meta({ description: 'When the hold releases itself: later than now, at most 31 days ahead; default 7 days.' })),
});
export type HoldBody = z.infer<typeof holdBodySchema>;

export const captureBodySchema = z.strictObject({
  points: z.optional(positive('Points to capture; without it, all of them.')),
});
export type CaptureBody = z.infer<typeof captureBodySchema>;

/** A release takes no fields; an empty body counts as {}. */
export const releaseBodySchema = z.strictObject({});
