// What one atomic write of a user's ledger changes: the plan the domain makes (lib/domain/batch.ts
// and the operations) and a store carries out in one transaction (lib/service/store.ts).
import type { Account, OpenLot, Pending, Take } from './ledger.js';
import type { HoldStatus, LedgerItem } from './schemas/responses.js';

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

/**
 * A new ledger record; a positive add is also a lot, placed in the open-lot indexes while it
 * holds points (a pending one, `availableKey`, only in the index of what falls due until then);
 * an open hold is in that index by its expiry (`holdExpiryKey`).
 */
export interface NewRecord {
  seq: number;
  item: LedgerItem;
  lot?: { orderKey: string; expiryKey?: string; availableKey?: string };
  holdExpiryKey?: string;
}

/**
 * A lot after a spend or negative add took from it (0 closes it), a lot a reversal or release
 * gives back to, or a pending lot that becomes available (it enters the open-lot indexes).
 */
export type LotUpdate = { seq: number; remaining: number } | { seq: number; giveBack: number; lot: OpenLot } | { seq: number; opens: OpenLot };

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
  /** The service clock of the round that makes this write (UTC, RFC 3339): its records' createdAt. */
  at: string;
  account: AccountChange;
  records?: NewRecord[];
  lots?: LotUpdate[];
  chunks?: TakeChunk[];
  /** A spend's points reversed so far, after this write. */
  reversed?: { seq: number; points: number };
  /** A hold that stops being held: its new status and points captured (it leaves the index of what falls due). */
  hold?: { seq: number; status: Exclude<HoldStatus, 'held'>; captured: number };
  idempotency?: IdempotencyRecord[];
}

/** Largest number of actions in one DynamoDB transaction. */
export const MAX_TRANSACTION_ITEMS = 100;
