// What the service needs from storage. lib/dynamo-store.ts implements it on DynamoDB; nothing
// else knows about tables or the AWS SDK.
import type { Account, OpenLot, Pending } from './ledger.js';
import type { LedgerItem } from './schemas.js';

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

/** A new ledger record; positive adds carry the keys that place them in the open-lot indexes. */
export interface NewRecord {
  seq: number;
  item: LedgerItem;
  lotOrderKey?: string;
}

export interface LotUpdate {
  seq: number;
  /** 0 closes the lot: it leaves the open-lot indexes. */
  remaining: number;
}

/**
 * One atomic write. It succeeds only if the account is still at `expectVersion`, and moves it to
 * `expectVersion + 1`; otherwise it throws ConflictError and nothing is written.
 */
export interface Commit {
  userId: string;
  expectVersion: number;
  account: Partial<Pick<Account, 'seq' | 'total' | 'balances'>> & { pending: Pending | null };
  records?: NewRecord[];
  lots?: LotUpdate[];
  idempotency?: IdempotencyRecord;
}

export interface LedgerSlice {
  items: { seq: number; item: LedgerItem }[];
  /** True when records follow the last one returned. */
  more: boolean;
}

export interface Store {
  /** Strongly consistent read of the account (and the idempotency record, in the same request). */
  load(userId: string, idempotencyKey?: string): Promise<{ account: Account; idempotency?: IdempotencyRecord }>;
  /** Open lots oldest first (of one payer, if given), read until they hold `points` or run out. */
  openLots(userId: string, payer: string | undefined, points: number): Promise<OpenLot[]>;
  commit(commit: Commit): Promise<void>;
  /** Whether `commit` (one with records, after commit() left its outcome unknown) was applied. */
  landed(commit: Commit): Promise<boolean>;
  /** Stores a refusal under its key; ConflictError if the key is already taken. */
  recordRefusal(userId: string, record: IdempotencyRecord): Promise<void>;
  ledger(userId: string, afterSeq: number, limit: number): Promise<LedgerSlice>;
}

/** The account moved on (or the idempotency key was taken) since it was read: read and retry. */
export class ConflictError extends Error {
  constructor() {
    super('conflict: the account changed since it was read');
  }
}

/** Largest number of actions in one DynamoDB transaction. */
export const MAX_TRANSACTION_ITEMS = 100;
