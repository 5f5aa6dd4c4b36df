// SPEC "Events and statements": every committed ledger item becomes one event per payer it
// touches. Derived only from what was committed (a record read back from the table's stream), so
// the same record always gives the same events, with the same ids, however often it is seen.
import * as z from 'zod/mini';
import { MAX_FEED_CURSOR_LENGTH } from './limits.js';
import { payerSchema } from './schemas/add.js';
import { MAX_POINTS, MAX_TIMESTAMP_LENGTH, PAGE_LIMIT, ledgerIdMeta, pointsMeta, userIdSchema } from './schemas/fields.js';
import type { LedgerItem } from './schemas/responses.js';

export const EVENT_TYPES = ['points.added', 'points.deducted', 'points.spent', 'points.reversed', 'points.expired', 'points.held', 'points.released'] as const;
export const eventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof eventTypeSchema>;

const dateTime = (description: string) => z.string().check(z.meta({ format: 'date-time', maxLength: MAX_TIMESTAMP_LENGTH, description }));
const ledgerId = (description?: string) => z.string().check(z.meta({ ...ledgerIdMeta, ...(description ? { description } : {}) }));

/** `<userId>.<item id>.<n>`: at most 64 + 1 + 25 + 1 + 4 characters (see eventsOf). */
export const MAX_EVENT_ID_LENGTH = 128;
const ITEM_TYPES = ['add', 'spend', 'expire', 'reversal', 'hold', 'release'] as const satisfies readonly LedgerItem['type'][];
/** No cap in code besides the number type: a user's sequence numbers count up from 1. */
const sequenceMeta = { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

export const eventSchema = z.object({
  id: z.string().check(z.maxLength(MAX_EVENT_ID_LENGTH), z.meta({ description: 'The same wherever and however often the event is seen: receivers dedupe by it.' })),
  type: eventTypeSchema,
  createdAt: dateTime('When the ledger item was recorded, by the service clock, in UTC.'),
  userId: userIdSchema,
  payer: payerSchema,
  points: z.number().check(z.meta({ ...pointsMeta(-MAX_POINTS, MAX_POINTS), description: "This payer's part of the item, signed as in the item." })),
  sequence: z.number().check(z.meta({ ...sequenceMeta, description: "The item's position in the user's ledger (1 for the first item)." })),
  transaction: z.object({
    id: ledgerId(),
    type: z.enum(ITEM_TYPES),
    timestamp: dateTime("The ledger item's timestamp."),
    spend: z.optional(ledgerId('A reversal: the spend it gives back.')),
    hold: z.optional(ledgerId('A release, or a spend that captured a hold: the hold.')),
    lot: z.optional(ledgerId('An expiry: the add whose lot expired.')),
    expiresAt: z.optional(dateTime('An add: when its lot expires, if it does.')),
    availableAt: z.optional(dateTime('An add: when its lot becomes spendable, if it was added pending.')),
  }),
});
export type PointsEvent = z.infer<typeof eventSchema>;

export const feedPageSchema = z.object({
  items: z.array(eventSchema).check(z.meta({ maxItems: PAGE_LIMIT.maximum })),
  nextCursor: z.string().check(z.meta({ maxLength: MAX_FEED_CURSOR_LENGTH, description: 'Always given: called later, it returns what arrived since.' })),
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
