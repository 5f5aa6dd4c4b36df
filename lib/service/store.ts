// What the service needs from storage. lib/dynamo/store.ts implements it on DynamoDB; nothing
// else knows about tables or the AWS SDK.
import type { Commit, IdempotencyRecord } from '../domain/commit.js';
import { ApiError } from '../domain/errors.js';
import type { Account, OpenLot, PlacedTake } from '../domain/ledger.js';
import type { HoldItem, LedgerItem } from '../domain/schemas/responses.js';

/**
 * A page of the ledger stops short of its limit when its items' JSON would pass this: an answer
 * stays far below Lambda's 6 MB, whatever the breakdowns hold (a spend may list 200 KB of payers).
 */
export const MAX_PAGE_BYTES = 1024 * 1024;

export interface LedgerSlice {
  items: { seq: number; item: LedgerItem }[];
  /** True when records follow the last one returned. */
  more: boolean;
}


/**
 * Something that falls due at `key` (a sort key of its instant), in the order the service records
 * it: a lot's expiry, a pending lot becoming available, an open hold's expiry.
 */
export type DueItem = { kind: 'expiry' | 'available'; key: string; lot: OpenLot } | { kind: 'hold'; key: string; seq: number; item: HoldItem };

export interface Store {
  /**
   * Strongly consistent read of the account and of these idempotency records, in one request;
   * `busyForMs`: how long another instance's write lease on the account still runs (0: none).
   */
  load(userId: string, idempotencyKeys?: readonly string[]): Promise<{ account: Account; idempotency: Map<string, IdempotencyRecord>; busyForMs: number }>;
  /**
   * Claims the user's write lease (lib/dynamo/lease.ts) and returns the account as of the claim, which
   * saves the round a read; undefined while another instance holds it. A commit ends it.
   */
  claim(userId: string): Promise<Account | undefined>;
  /** Ends this instance's lease without a commit. */
  release(userId: string): Promise<void>;
  /**
   * Open lots oldest first (of one payer, if given; else after the order key `after`), read until
   * they hold `points`, run out, or number `most`; `done` when no open lot follows the last one returned.
   */
  openLots(userId: string, options: { payer?: string; after?: string; points: number; most?: number }): Promise<{ lots: OpenLot[]; done: boolean }>;
  /** Up to `limit` of what falls due (open lots expiring, pending lots, open holds), earliest first. */
  dueItems(userId: string, limit: number): Promise<DueItem[]>;
  /** The ledger record at `seq`, if there is one. */
  recordAt(userId: string, seq: number): Promise<LedgerItem | undefined>;
  /**
   * The spend's takes in taking order, from the one holding position `from` to the last of chunk
   * `upTo` (default: the last chunk); at most `chunks` chunks, the newest ones, when given.
   */
  spendTakes(userId: string, spendSeq: number, from: number, upTo?: number, chunks?: number): Promise<PlacedTake[]>;
  commit(commit: Commit): Promise<void>;
  /** The id of the ledger record at `seq`, if there is one: tells whether a write whose answer was lost landed. */
  recordId(userId: string, seq: number): Promise<string | undefined>;
  /**
   * The records after `afterSeq`, in order: `limit` of them, or fewer once their JSON passes
   * MAX_PAGE_BYTES (never none while records follow).
   */
  ledger(userId: string, afterSeq: number, limit: number): Promise<LedgerSlice>;
  /** Users whose next expiry is at or before `nowKey` (from an index that may lag writes by a moment). */
  dueUsers(nowKey: string): AsyncIterable<string>;
}

/** The account moved on (or an idempotency key was taken) since it was read: read and retry. */
export class ConflictError extends Error {
  constructor() {
    super('conflict: the account changed since it was read');
  }
}

/**
 * Open lots read after the account disagree with it: if the account has moved on, another writer
 * committed in between (a conflict: read and retry); if not, an invariant is broken.
 */
export async function lotsMismatch(store: Store, userId: string, version: number, detail: string): Promise<never> {
  if ((await store.load(userId)).account.version !== version) throw new ConflictError();
  throw new Error(`ledger invariant: ${detail}`);
}

/**
 * A write was sent and DynamoDB did not say whether it was applied (timeout, reset, 5xx, lost
 * answer). The service reads back and answers with the real outcome; left unhandled, it is the
 * honest answer itself: 503 OUTCOME_UNKNOWN.
 */
export class UnknownOutcome extends ApiError {
  constructor(readonly fault: unknown) {
    super('OUTCOME_UNKNOWN', 'A write was sent to the database and its outcome could not be confirmed; retry with the same Idempotency-Key to learn it.');
  }
}

export const serviceUnavailable = () => new ApiError('SERVICE_UNAVAILABLE', 'The database is unavailable; nothing was applied. Retry after the time in Retry-After.');

/** Outcome already decided by a 503: true for SERVICE_UNAVAILABLE and OUTCOME_UNKNOWN. */
export const isUnavailable = (error: unknown) => error instanceof ApiError && error.status === 503;
