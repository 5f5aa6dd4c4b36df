// The queries of GET /events and GET /statements (SPEC "Events and statements").
import * as z from 'zod/mini';
import { MAX_FEED_CURSOR_LENGTH } from '../../domain/limits.js';
import { MAX_STATEMENT_DAYS } from '../../domain/statement.js';
import { payerSchema } from '../../domain/schemas/add.js';
import { limitSchema } from './transactions.js';

export const eventsQuerySchema = z.object({
  payer: payerSchema,
  limit: limitSchema,
  cursor: z.optional(z.string().check(z.maxLength(MAX_FEED_CURSOR_LENGTH))).check(z.meta({ description: 'nextCursor of the previous page of this payer: resumes exactly after it.' })),
});

const isDay = (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);
const DAY_LENGTH = 'YYYY-MM-DD'.length;
const daySchema = z.string().check(z.refine(isDay, 'must be a UTC day YYYY-MM-DD'), z.meta({ format: 'date', minLength: DAY_LENGTH, maxLength: DAY_LENGTH }));
const daysBetween = (from: string, to: string) => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;

export const statementsQuerySchema = z
  .object({ payer: payerSchema, from: daySchema, to: daySchema })
  .check(
    z.refine(({ from, to }) => !isDay(from) || !isDay(to) || from <= to, { message: 'must not be after to', path: ['from'] }),
    z.refine(({ from, to }) => !isDay(from) || !isDay(to) || from > to || daysBetween(from, to) < MAX_STATEMENT_DAYS, { message: `the range may span at most ${MAX_STATEMENT_DAYS} days`, path: ['to'] }),
  );
