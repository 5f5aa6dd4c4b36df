// SPEC "Events and statements", the statement: counters per payer of the magnitudes of its
// events by type, per UTC day of createdAt and over all time, and outstanding from them.
import * as z from 'zod/mini';
import type { EventType, PointsEvent } from './events.js';
import { payerSchema } from './schemas/add.js';
import { MAX_POINTS, MAX_TIMESTAMP_LENGTH, pointsMeta } from './schemas/fields.js';

export const COUNTERS = ['added', 'deducted', 'spent', 'reversed', 'expired', 'held', 'released'] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counters = Record<Counter, number>;

const COUNTER_OF: Record<EventType, Counter> = {
  'points.added': 'added',
  'points.deducted': 'deducted',
  'points.spent': 'spent',
  'points.reversed': 'reversed',
  'points.expired': 'expired',
  'points.held': 'held',
  'points.released': 'released',
};

/** What one event adds to its payer's counters: the magnitude of its points, under its type. */
export const countOf = (event: PointsEvent): { counter: Counter; points: number } => ({ counter: COUNTER_OF[event.type], points: Math.abs(event.points) });

/** The UTC day of an RFC 3339 instant in UTC ("…Z"). */
export const dayOf = (utc: string) => utc.slice(0, 10);

export const zeroCounters = (): Counters => ({ added: 0, deducted: 0, spent: 0, reversed: 0, expired: 0, held: 0, released: 0 });

export function sumCounters(parts: readonly Partial<Counters>[]): Counters {
  const sum = zeroCounters();
  for (const part of parts) for (const counter of COUNTERS) sum[counter] += part[counter] ?? 0;
  return sum;
}

/** SPEC: the points of P that users still hold, available, held or pending. */
export const outstandingOf = (c: Counters) => c.added - c.deducted - c.spent + c.reversed - c.expired;

/** Longest statement: 366 days counting both ends. */
export const MAX_STATEMENT_DAYS = 366;

/**
 * A counter sums magnitudes over every user of the payer, so no balance bounds it; read back as a
 * JavaScript number (DynamoDB's unmarshalling refuses a larger one), it stays within MAX_POINTS.
 */
const counter = () => z.number().check(z.meta(pointsMeta(0, MAX_POINTS)));
const countersShape = Object.fromEntries(COUNTERS.map((name) => [name, counter()])) as Record<Counter, ReturnType<typeof counter>>;
const DAY_LENGTH = 'YYYY-MM-DD'.length;
const date = (description: string) => z.string().check(z.meta({ format: 'date', minLength: DAY_LENGTH, maxLength: DAY_LENGTH, description }));

export const statementSchema = z.object({
  payer: payerSchema,
  from: date('First UTC day, included.'),
  to: date('Last UTC day, included.'),
  asOf: z.string().check(z.meta({ format: 'date-time', maxLength: MAX_TIMESTAMP_LENGTH, description: 'Every event recorded at or before this instant is counted (later ones may be too).' })),
  days: z.array(z.object({ date: date('A UTC day of the range with any event.'), ...countersShape })).check(z.meta({ maxItems: MAX_STATEMENT_DAYS })),
  totals: z.object(countersShape),
  outstanding: z.number().check(z.meta({ ...pointsMeta(-MAX_POINTS, MAX_POINTS), description: 'Over all time: added - deducted - spent + reversed - expired.' })),
});
export type Statement = z.infer<typeof statementSchema>;

/** The statement from the range's day counters (any order, several parts per day) and all-time counters. */
export function statementOf(payer: string, from: string, to: string, asOf: string, days: readonly { date: string; counters: Partial<Counters> }[], allTime: Counters): Statement {
  const byDate = new Map<string, Partial<Counters>[]>();
  for (const day of days) if (day.date >= from && day.date <= to) byDate.set(day.date, [...(byDate.get(day.date) ?? []), day.counters]);
  const summed = [...byDate.keys()].sort().map((date) => ({ date, ...sumCounters(byDate.get(date)!) }));
  const nonEmpty = summed.filter((day) => COUNTERS.some((counter) => day[counter] !== 0));
  return { payer, from, to, asOf, days: nonEmpty, totals: sumCounters(nonEmpty), outstanding: outstandingOf(allTime) };
}
