// The operations of SPEC "Routes" on a Store: optimistic concurrency on the account version,
// idempotent replays, and the roll-forward of operations too large for one transaction.
import { randomUUID } from 'node:crypto';
import { backoff } from './backoff.js';
import { UnknownOutcome } from './db-errors.js';
import { ApiError, DOMAIN_REFUSALS } from './errors.js';
import { Lanes } from './lanes.js';
import {
  balanceEntries,
  breakdownOf,
  checkDeduction,
  checkSpend,
  creditPayer,
  debitBreakdown,
  lotOrderKey,
  planTakes,
  type Account,
  type Take,
} from './ledger.js';
import { commitWithReadBack, leftForNextRequest } from './outcome.js';
import type { AddBody, AddItem, LedgerItem, SpendBody } from './schemas.js';
import { ConflictError, MAX_TRANSACTION_ITEMS, type Commit, type IdempotencyRecord, type LedgerSlice, type NewRecord, type Store } from './store.js';

export interface Idempotency {
  key: string;
  fingerprint: string;
}

/** A response body exactly as sent, so that a replay is byte for byte the first answer. */
export interface Reply {
  status: number;
  body: string;
  replayed?: boolean;
}

/** Idempotency records live at least this long (SPEC promises 24 hours). */
const IDEMPOTENCY_TTL_SECONDS = 48 * 3600;
/** Optimistic retries before giving up with 503; reached only under pathological contention. */
const MAX_ATTEMPTS = 200;
/** Room in the first transaction once the account, the new record and an idempotency record are in. */
const FIRST_BATCH = MAX_TRANSACTION_ITEMS - 3;
/** Room in a roll-forward transaction next to the account. */
const LATER_BATCH = MAX_TRANSACTION_ITEMS - 1;

interface Planned {
  reply: unknown;
  commit: Commit;
  /** Takes that did not fit in the first transaction; recorded in the account as pending work. */
  rest: Take[];
}

const sum = (takes: readonly Take[]) => takes.reduce((n, t) => n + t.take, 0);
const lotUpdate = ({ lot, take }: Take) => ({ seq: lot.seq, remaining: lot.remaining - take });
/** Between optimistic retries: 4 ms doubling, capped at 250 ms. */
const retryDelay = (attempt: number) => backoff(attempt, 4, 250);

export class PointsService {
  private readonly lanes = new Lanes();

  constructor(private readonly store: Store) {}

  add(userId: string, body: AddBody, idempotency?: Idempotency): Promise<Reply> {
    return this.mutate(userId, idempotency, async (account) => {
      const seq = account.seq + 1;
      const { payer, points } = body;
      const base = { id: randomUUID(), type: 'add' as const, payer, points, timestamp: body.timestamp.utc };
      if (points > 0) {
        const orderKey = lotOrderKey(body.timestamp.sortKey, seq);
        const item: AddItem = { ...base, remaining: points };
        const balances = creditPayer(account, payer, points, orderKey);
        return {
          reply: item,
          commit: {
            userId,
            expectVersion: account.version,
            account: { seq, total: account.total + points, balances, pending: null },
            records: [{ seq, item, lotOrderKey: orderKey }],
          },
          rest: [],
        };
      }
      checkDeduction(account, payer, -points);
      const takes = await this.takesCovering(userId, account, payer, -points, true);
      return this.consume(userId, account, { seq, item: base }, takes, payer);
    });
  }

  spend(userId: string, body: SpendBody, idempotency?: Idempotency): Promise<Reply> {
    return this.mutate(userId, idempotency, async (account) => {
      checkSpend(account, body.points);
      const takes = await this.takesCovering(userId, account, undefined, body.points, true);
      const breakdown = breakdownOf(takes);
      const item: LedgerItem = { id: randomUUID(), type: 'spend', points: -body.points, timestamp: new Date().toISOString(), breakdown };
      return { ...this.consume(userId, account, { seq: account.seq + 1, item }, takes), reply: breakdown };
    });
  }

  /** Payers and balances, oldest payer first: one read of the account item. */
  async balance(userId: string): Promise<[string, number][]> {
    const { account } = await this.store.load(userId);
    return balanceEntries(account);
  }

  /** A page of the ledger after `afterSeq`, as of one version of the account. */
  async transactions(userId: string, afterSeq: number, limit: number): Promise<LedgerSlice> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const before = (await this.store.load(userId)).account;
      if (before.pending) {
        await this.finishPending(userId, before);
        continue;
      }
      const slice = await this.store.ledger(userId, afterSeq, limit);
      // A query sees each item as committed, not the table as of one instant: re-reading the
      // version proves no write landed in between, so lots and spends agree on the page.
      const after = (await this.store.load(userId)).account;
      if (after.version === before.version) return slice;
      await retryDelay(attempt);
    }
    throw new ApiError('SERVICE_UNAVAILABLE', 'The ledger is changing too fast to read; retry.');
  }

  /** A spend or negative add: the first transaction commits it logically, the rest rolls forward. */
  private consume(userId: string, account: Account, record: NewRecord, takes: Take[], payer?: string): Planned {
    const breakdown = breakdownOf(takes);
    const balances = debitBreakdown(account.balances, breakdown);
    const first = takes.slice(0, FIRST_BATCH);
    const rest = takes.slice(FIRST_BATCH);
    const left = sum(rest);
    return {
      reply: record.item,
      commit: {
        userId,
        expectVersion: account.version,
        account: {
          seq: record.seq,
          total: account.total - sum(takes),
          balances,
          pending: left > 0 ? { left, ...(payer !== undefined ? { payer } : {}) } : null,
        },
        records: [record],
        lots: first.map(lotUpdate),
      },
      rest,
    };
  }

  private mutate(userId: string, idempotency: Idempotency | undefined, plan: (account: Account) => Promise<Planned>): Promise<Reply> {
    return this.lanes.run(userId, () => this.mutateNow(userId, idempotency, plan));
  }

  private async mutateNow(userId: string, idempotency: Idempotency | undefined, plan: (account: Account) => Promise<Planned>): Promise<Reply> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { account, idempotency: earlier } = await this.store.load(userId, idempotency?.key);
      if (earlier && idempotency) return replay(earlier, idempotency);
      if (account.pending) {
        await this.finishPending(userId, account);
        continue;
      }
      let planned: Planned;
      let reply: Reply;
      try {
        planned = await this.refusalsRecorded(userId, idempotency, () => plan(account));
        reply = { status: 200, body: JSON.stringify(planned.reply) };
        await commitWithReadBack(this.store, { ...planned.commit, ...(idempotency ? { idempotency: recordOf(idempotency, reply) } : {}) });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        await retryDelay(attempt);
        continue;
      }
      // Committed: from here on the operation is never planned again, only completed.
      if (planned.rest.length > 0) {
        await this.finishPending(userId, { ...account, version: account.version + 1, pending: planned.commit.account.pending ?? undefined }, planned.rest).catch(leftForNextRequest);
      }
      return reply;
    }
    throw new ApiError('SERVICE_UNAVAILABLE', 'Too many concurrent requests for this user; retry.');
  }

  /** A refusal that depends on the ledger's state is stored under the key, so a retry sees it again. */
  private async refusalsRecorded<T>(userId: string, idempotency: Idempotency | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (idempotency && error instanceof ApiError && DOMAIN_REFUSALS.includes(error.code)) {
        await this.store.recordRefusal(userId, recordOf(idempotency, { status: error.status, body: JSON.stringify(error.toProblem()) }));
      }
      throw error;
    }
  }

  /**
   * Takes from the open lots (of one payer, if given), oldest first, covering `points`. The lots
   * are read after the account, so a request that committed in between may have consumed some or
   * added others: lots that fall short, or (with `debit`, when the account's balances have yet to
   * pay for the takes) that draw more from a payer than the account says it holds, mean a
   * conflict; this plan's commit would fail its version check anyway, so it is retried like any
   * other. Only if the account has not moved on is the mismatch a broken invariant.
   */
  private async takesCovering(userId: string, account: Account, payer: string | undefined, points: number, debit: boolean): Promise<Take[]> {
    const takes = planTakes(await this.store.openLots(userId, payer, points), points);
    const fits = (t: Take[]) => !debit || breakdownOf(t).every((e) => (account.balances.get(e.payer)?.balance ?? 0) + e.points >= 0);
    if (takes && fits(takes)) return takes;
    if ((await this.store.load(userId)).account.version !== account.version) throw new ConflictError();
    throw new Error(`ledger invariant: the open lots do not match the account's balances (${points} points to take)`);
  }

  /**
   * Applies the account's pending work in transactions of up to 99 lots, each checked against
   * the account version. `known` is the rest of the plan when the caller just made it; after a
   * crash or a conflict the plan is rebuilt from the open lots, which FIFO makes deterministic.
   */
  private async finishPending(userId: string, account: Account, known?: Take[]): Promise<void> {
    let current = account;
    let takes = known;
    while (current.pending) {
      const { left, payer } = current.pending;
      try {
        takes ??= await this.takesCovering(userId, current, payer, left, false);
        const batch = takes.slice(0, LATER_BATCH);
        const stillLeft = left - sum(batch);
        const pending = stillLeft > 0 ? { ...current.pending, left: stillLeft } : null;
        await this.store.commit({ userId, expectVersion: current.version, account: { pending }, lots: batch.map(lotUpdate) });
        current = { ...current, version: current.version + 1, pending: pending ?? undefined };
        takes = takes.slice(batch.length);
      } catch (error) {
        // After a conflict someone else rolled forward; after an unknown outcome this batch may have landed.
        if (!(error instanceof ConflictError || error instanceof UnknownOutcome)) throw error;
        current = (await this.store.load(userId)).account;
        takes = undefined;
      }
    }
  }
}

function recordOf(idempotency: Idempotency, reply: Reply): IdempotencyRecord {
  return { ...idempotency, status: reply.status, body: reply.body, expiresAt: Math.floor(Date.now() / 1000) + IDEMPOTENCY_TTL_SECONDS };
}

function replay(record: IdempotencyRecord, request: Idempotency): Reply {
  if (record.fingerprint !== request.fingerprint) {
    throw new ApiError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${JSON.stringify(request.key)} was first used with a different request.`);
  }
  return { status: record.status, body: record.body, replayed: true };
}
