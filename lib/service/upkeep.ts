// Work the service does on an account before serving it: finishing an operation that was
// committed but is too large for one transaction (roll-forward, README "Large operations"), and
// recording lots that have expired (SPEC "Expiry"). Each step is one transaction checked against
// the account version and leaves a consistent account, so a crash or a fault between steps loses
// nothing: the next request reads the account and carries on from there.
import {
  breakdownOf,
  debitBreakdown,
  givebacks,
  isExpired,
  isReversePending,
  planTakes,
  sumTakes,
  type Account,
  type ConsumePending,
  type ReversePending,
} from '../domain/ledger.js';
import { giveBackWrites } from './ops/reverse.js';
import { commitUpkeep } from './outcome.js';
import { expireRecord } from '../domain/records.js';
import { MAX_TRANSACTION_ITEMS, type Commit } from '../domain/commit.js';
import { ConflictError, lotsMismatch, type Store } from './store.js';
import { instantOfMs } from '../domain/timestamp.js';

/** Expired lots recorded per transaction: each is its lot's update and its expire record. */
const EXPIRE_BATCH = Math.floor((MAX_TRANSACTION_ITEMS - 1) / 2);

export const isDue = (account: Account, nowKey: string) => account.nextExpiry !== undefined && account.nextExpiry <= nowKey;

async function consumeStep(store: Store, userId: string, account: Account, pending: ConsumePending, at: string): Promise<Commit> {
  const { left, payer, spend } = pending;
  const room = MAX_TRANSACTION_ITEMS - (spend ? 2 : 1);
  // Only this step's lots are read: the oldest open ones, as many as one transaction holds.
  const { lots, done } = await store.openLots(userId, { ...(payer !== undefined ? { payer } : {}), points: left, most: room });
  const batch = planTakes(lots, Math.min(left, lots.reduce((n, lot) => n + lot.remaining, 0))) ?? [];
  // A conflict here means someone else rolled forward.
  if (batch.length === 0 || (done && sumTakes(batch) < left)) await lotsMismatch(store, userId, account.version, `the open lots hold less than the ${left} points still to take`);
  const taken = sumTakes(batch);
  const next: ConsumePending | null =
    left > taken ? { ...pending, left: left - taken, ...(spend ? { spend: { seq: spend.seq, chunk: spend.chunk + 1, start: spend.start + taken } } : {}) } : null;
  return {
    userId,
    expectVersion: account.version,
    at,
    account: { pending: next },
    lots: batch.map(({ lot, take }) => ({ seq: lot.seq, remaining: lot.remaining - take })),
    chunks: spend ? [{ spendSeq: spend.seq, chunk: spend.chunk, start: spend.start, takes: batch }] : [],
  };
}

async function reverseStep(store: Store, userId: string, account: Account, pending: ReversePending, recordedAt: string): Promise<Commit> {
  const { spend, lo, hi, at, nextSeq, chunk } = pending.reverse;
  // Only this step's share of the takes is read: two chunks back from the one holding hi − 1
  // hold at least a transaction's worth of lots (or reach lo).
  const all = givebacks(await store.spendTakes(userId, spend, lo, chunk, 2), lo, hi);
  const gives = all.slice(0, MAX_TRANSACTION_ITEMS - 1);
  const writes = giveBackWrites(gives, at, nextSeq);
  const newHi = hi - sumTakes(gives);
  const next = all[gives.length];
  return {
    userId,
    expectVersion: account.version,
    at: recordedAt,
    account: { pending: newHi > lo ? { reverse: { ...pending.reverse, hi: newHi, nextSeq: nextSeq + writes.records.length, chunk: next?.chunk ?? gives.at(-1)!.chunk } } : null },
    ...writes,
  };
}

/** Finishes the account's pending work; returns the account after it. `now`: the service clock (epoch ms). */
export async function rollForward(store: Store, userId: string, account: Account, now: () => number, onStep: () => void = () => {}): Promise<Account> {
  let current = account;
  while (current.pending) {
    const pending = current.pending;
    try {
      const at = instantOfMs(now()).utc;
      const commit = isReversePending(pending) ? await reverseStep(store, userId, current, pending, at) : await consumeStep(store, userId, current, pending, at);
      await commitUpkeep(store, commit);
      onStep();
      const { pending: next } = commit.account;
      current = { ...current, version: current.version + 1, ...(next ? { pending: next } : { pending: undefined }) };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      current = (await store.load(userId)).account; // someone else rolled forward
    }
  }
  return current;
}

/** Records every lot expired at `now` (epoch ms), earliest expiry first, a batch per transaction. */
export async function expireDue(store: Store, userId: string, account: Account, now: number): Promise<Account> {
  const { utc: at, sortKey: nowKey } = instantOfMs(now);
  let current = account;
  while (isDue(current, nowKey)) {
    const lots = await store.expiringLots(userId, EXPIRE_BATCH + 1);
    const due = lots.filter((lot) => isExpired(lot, nowKey)).slice(0, EXPIRE_BATCH);
    // The first lot not recorded now is the next expiry; none left clears it.
    const nextExpiry = lots[due.length]?.expiryKey ?? null;
    const records = due.map((lot, i) => expireRecord(current.seq + 1 + i, lot, lot.remaining));
    const taken = due.map((lot) => ({ lot, take: lot.remaining }));
    const commit: Commit = {
      userId,
      expectVersion: current.version,
      at,
      account: { seq: current.seq + due.length, total: current.total - sumTakes(taken), balances: debitBreakdown(current.balances, breakdownOf(taken)), pending: null, nextExpiry },
      records,
      lots: due.map((lot) => ({ seq: lot.seq, remaining: 0 })),
    };
    await commitUpkeep(store, commit);
    current = {
      ...current,
      version: current.version + 1,
      seq: commit.account.seq!,
      total: commit.account.total!,
      balances: commit.account.balances!,
      ...(nextExpiry ? { nextExpiry } : { nextExpiry: undefined }),
    };
  }
  return current;
}
