// SPEC "Events and statements": every committed ledger item becomes one event per payer it
// touches. Derived only from what was committed (a record read back from the table's stream), so
// the same record always gives the same events, with the same ids, however often it is seen.
import * as z from 'zod/mini';
import type { LedgerItem } from './schemas/responses.js';

export const EVENT_TYPES = ['points.added', 'points.deducted', 'points.spent', 'points.reversed', 'points.expired', 'points.held', 'points.released'] as const;
export const eventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof eventTypeSchema>;

const dateTime = (description: string) => z.string().check(z.meta({ format: 'date-time', description }));
const integer = (description: string) => z.number().check(z.meta({ type: 'integer', format: 'int64', description }));

export const eventSchema = z.object({
  id: z.string().check(z.maxLength(128), z.meta({ description: 'The same wherever and however often the event is seen: receivers dedupe by it.' })),
  type: eventTypeSchema,
  createdAt: dateTime('When the ledger item was recorded, by the service clock, in UTC.'),
  userId: z.string(),
  payer: z.string(),
  points: integer("This payer's part of the item, signed as in the item."),
  sequence: integer("The item's position in the user's ledger (1 for the first item)."),
  transaction: z.object({
    id: z.string(),
    type: z.string(),
    timestamp: dateTime("The ledger item's timestamp."),
    spend: z.optional(z.string()),
    hold: z.optional(z.string()),
    lot: z.optional(z.string()),
    expiresAt: z.optional(z.string()),
    availableAt: z.optional(z.string()),
  }),
});
export type PointsEvent = z.infer<typeof eventSchema>;

export const feedPageSchema = z.object({
  items: z.array(eventSchema),
  nextCursor: z.string().check(z.meta({ description: 'Always given: called later, it returns what arrived since.' })),
  hasMore: z.boolean().check(z.meta({ description: 'True when more events are readable now.' })),
});

/** A ledger record as committed: whose, where in the ledger, when it was recorded, what. */
export interface CommittedRecord {
  userId: string;
  seq: number;
  /** The service clock when the record was committed (UTC, RFC 3339). */
  createdAt: string;
  item: LedgerItem;
}

/** Each payer's part of the item, in the item's order, with the event type it makes. */
function parts(item: LedgerItem): { type: EventType; payer: string; points: number }[] {
  switch (item.type) {
    case 'add':
      return [{ type: item.points > 0 ? 'points.added' : 'points.deducted', payer: item.payer, points: item.points }];
    case 'expire':
      return [{ type: 'points.expired', payer: item.payer, points: item.points }];
    case 'spend':
      return item.breakdown.map((entry) => ({ type: 'points.spent', ...entry }));
    case 'reversal':
      return item.breakdown.map((entry) => ({ type: 'points.reversed', ...entry }));
    case 'hold':
      return item.breakdown.map((entry) => ({ type: 'points.held', ...entry }));
    case 'release':
      return item.breakdown.map((entry) => ({ type: 'points.released', ...entry }));
  }
}

/** What the event repeats of the item: its id, type and timestamp, and the references SPEC lists. */
function transactionOf(item: LedgerItem): PointsEvent['transaction'] {
  const base = { id: item.id, type: item.type, timestamp: item.timestamp };
  switch (item.type) {
    case 'add':
      return { ...base, ...(item.expiresAt !== undefined ? { expiresAt: item.expiresAt } : {}), ...(item.availableAt !== undefined ? { availableAt: item.availableAt } : {}) };
    case 'expire':
      return { ...base, lot: item.lot };
    case 'reversal':
      return { ...base, spend: item.spend };
    case 'spend':
      return { ...base, ...(item.hold !== undefined ? { hold: item.hold } : {}) };
    case 'release':
      return { ...base, hold: item.hold };
    case 'hold':
      return base;
  }
}

/**
 * The events of one committed record. An event's id is `<userId>.<item id>.<n>`, n the payer's
 * place in the item: deterministic (a record seen twice gives the same ids), unique across users,
 * and at most 64 + 1 + 25 + 1 + 4 characters.
 */
export function eventsOf({ userId, seq, createdAt, item }: CommittedRecord): PointsEvent[] {
  const transaction = transactionOf(item);
  return parts(item).map((part, n) => ({
    id: `${userId}.${item.id}.${n}`,
    type: part.type,
    createdAt,
    userId,
    payer: part.payer,
    points: part.points,
    sequence: seq,
    transaction,
  }));
}
