// What the service needs from storage. lib/dynamo-store.ts implements it on DynamoDB; nothing
// else knows about tables or the AWS SDK.
import type { Account, OpenLot, Pending, PlacedTake, Take } from './ledger.js';
import type { LedgerItem, SpendItem } from './schemas/responses.js';

export interface IdempotencyRecord {
  key: string;
  /** Hash of the route and body: the same key with another request is refused. */
  fingerprint: string;
  status: number;
  /** The first response's body, exactly as sent. */
  body: string;
  /** Epoch seconds; DynamoDB's TTL deletes lazily, so readers check it too. */
  expiresAt: number;
}

/** A new ledger record; a positive add is also a lot, placed in the open-lot indexes while it holds points. */
export interface NewRecord {
  seq: number;
  item: LedgerItem;
  lot?: { orderKey: string; expiryKey?: string };
}

/** A lot after a spend or negative add took from it (0 closes it), or a lot a reversal gives back to. */
export type LotUpdate = { seq: number; remaining: number } | { seq: number; giveBack: number; lot: OpenLot };

/** Chunk `chunk` of a spend's takes, `start` being the position of its first point among the spend's. */
export interface TakeChunk {
  spendSeq: number;
  chunk: number;
  start: number;
  takes: Take[];
}

export interface AccountChange {
  seq?: number;
  total?: number;
  balances?: Account['balances'];
  pending: Pending | null;
  /** null clears it; undefined leaves it as it is. */
  nextExpiry?: string | null;
}

/**
 * One atomic write. It succeeds only if the account is still at `expectVersion`, and moves it to
 * `expectVersion + 1`; otherwise it throws ConflictError and nothing is written.
 */
export interface Commit {
  userId: string;
  expectVersion: number;
  account: AccountChange;
  records?: NewRecord[];
  lots?: LotUpdate[];
  chunks?: TakeChunk[];
  /** A spend's points reversed so far, after this write. */
  reversed?: { seq: number; points: number };
  idempotency?: IdempotencyRecord[];
}

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

export interface Store {
  /**
   * Strongly consistent read of the account and of these idempotency records, in one request;
   * `busyForMs`: how long another instance's write lease on the account still runs (0: none).
   */
  load(userId: string, idempotencyKeys?: readonly string[]): Promise<{ account: Account; idempotency: Map<string, IdempotencyRecord>; busyForMs: number }>;
  /**
   * Claims the user's write lease (lib/lease.ts) and returns the account as of the claim, which
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
  /** Up to `limit` open lots that expire, earliest expiry first. */
  expiringLots(userId: string, limit: number): Promise<OpenLot[]>;
  /** The spend recorded at `seq`, if that record is a spend. */
  spendAt(userId: string, seq: number): Promise<SpendItem | undefined>;
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

/** Largest number of actions in one DynamoDB transaction. */
export const MAX_TRANSACTION_ITEMS = 100;
