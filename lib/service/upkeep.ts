// Work the service does on an account before serving it: finishing an operation that was
// committed but is too large for one transaction (roll-forward, docs/architecture.md "Large operations"), and
// recording what fell due: lots that expired (SPEC "Expiry"), pending lots that became available and
// holds that expired (SPEC "Holds and pending points"). Each step is one transaction checked against
// the account version and leaves a consistent account, so a crash or a fault between steps loses
// nothing: the next request reads the account and carries on from there.
import {
  adjustBalances,
  breakdownOf,
  debitBreakdown,
  earliest,
  givebacks,
  isReversePending,
  planTakes,
  sumTakes,
  type Account,
  type ConsumePending,
  type OpenLot,
  type ReversePending,
} from '../domain/ledger.js';
import { giveBackWrites } from './ops/give-back.js';
import { planRelease } from './ops/hold-end.js';
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

/** The account after an upkeep commit landed. */
function committed(account: Account, commit: Commit): Account {
  const { seq, total, balances, pending, nextExpiry } = commit.account;
  return {
    ...account,
    version: account.version + 1,
    ...(seq !== undefined ? { seq } : {}),
    ...(total !== undefined ? { total } : {}),
    ...(balances ? { balances } : {}),
    pending: pending ?? undefined,
    ...(nextExpiry !== undefined ? { nextExpiry: nextExpiry ?? undefined } : {}),
  };
}

/**
 * The next step of what falls due by `nowKey`, earliest first (SPEC "Expiry", "Holds and pending
 * points"): a run of lot expiries, or one pending lot becoming available, or one hold expiring
 * (a release dated its expiresAt). A pending lot or a hold is a step of its own: what it changes
 * (a lot's expiry now in the index, points given back) is then seen, in order, by the next step.
 */
async function dueStep(store: Store, userId: string, account: Account, nowKey: string, at: string): Promise<Commit> {
  const due = await store.dueItems(userId, EXPIRE_BATCH + 1);
  const base = { userId, expectVersion: account.version, at };
  const first = due[0];
  if (!first || first.key > nowKey) return { ...base, account: { pending: null, nextExpiry: first?.key ?? null } };
  if (first.kind === 'hold') {
    const at = { utc: first.item.expiresAt, sortKey: first.key };
    const takes = await store.spendTakes(userId, first.seq, 0);
    const release = planRelease({ ...account, nextExpiry: due[1]?.key }, first.item, takes, 0, at, MAX_TRANSACTION_ITEMS - 1, true);
    const { seq, total, balances, nextExpiry } = release.account;
    return {
      ...base,
      account: { seq, total, balances, pending: release.pending ?? null, nextExpiry: nextExpiry ?? null },
      records: release.records,
      lots: release.lots,
      hold: { seq: first.seq, status: 'expired', captured: 0 },
    };
  }
  if (first.kind === 'available') {
    const { lot } = first;
    return {
      ...base,
      account: {
        total: account.total + lot.remaining,
        balances: adjustBalances(account.balances, [{ payer: lot.payer, available: lot.remaining, pending: -lot.remaining }]),
        pending: null,
        nextExpiry: earliest(due[1]?.key, lot.expiryKey) ?? null,
      },
      lots: [{ seq: lot.seq, opens: lot }],
    };
  }
  const run = due.slice(0, EXPIRE_BATCH);
  const end = run.findIndex((item) => item.kind !== 'expiry' || item.key > nowKey);
  const lots = (end === -1 ? run : run.slice(0, end)).map((item) => (item as { lot: OpenLot }).lot);
  const taken = lots.map((lot) => ({ lot, take: lot.remaining }));
  return {
    ...base,
    account: {
      seq: account.seq + lots.length,
      total: account.total - sumTakes(taken),
      balances: debitBreakdown(account.balances, breakdownOf(taken)),
      pending: null,
      // The first item not recorded now is the next to fall due; none left clears it.
      nextExpiry: due[lots.length]?.key ?? null,
    },
    records: lots.map((lot, i) => expireRecord(account.seq + 1 + i, lot, lot.remaining)),
    lots: lots.map((lot) => ({ seq: lot.seq, remaining: 0 })),
  };
}

/**
 * Records everything due at `nowKey`, a step per transaction; returns the account after it. A
 * release too large for one transaction leaves pending work: the caller rolls it forward first.
 */
export async function expireDue(store: Store, userId: string, account: Account, now: number): Promise<Account> {
  const { utc: at, sortKey: nowKey } = instantOfMs(now);
  let current = account;
  while (isDue(current, nowKey) && !current.pending) {
    const commit = await dueStep(store, userId, current, nowKey, at);
    await commitUpkeep(store, commit);
    current = committed(current, commit);
  }
  return current;
}
