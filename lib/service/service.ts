// lib/service/: the operations on a Store (lib/service/store.ts, the one seam to storage): group
// commit rounds, upkeep, idempotency, outcomes of unanswered writes, deadlines. Imports domain/ and
// telemetry/, never a storage or HTTP library.
//
// The operations of SPEC "Routes" on a Store. Writes for a user wait in one queue per process and
// are served in rounds (lib/service/round.ts), several requests to a transaction (docs/architecture.md "Concurrency").
import { ApiError } from '../domain/errors.js';
import { GroupQueue } from './group-queue.js';
import type { Idempotency, Reply } from '../domain/idempotency.js';
import { balanceDetail, balanceEntries, type Account } from '../domain/ledger.js';
import { REQUEST_BUDGET_MS, deadlineLeftMs, withDeadline } from './deadline.js';

/** Accounts the sweep brings up to date at once. */
const SWEEP_PARALLEL = 8;
import { MAX_ATTEMPTS, RoundServer, retryDelay, type Operation, type Waiting } from './round.js';
import type { AddBody } from '../domain/schemas/add.js';
import type { ReverseBody } from '../domain/schemas/reverse.js';
import type { CaptureBody, HoldBody } from '../domain/schemas/hold.js';
import type { SpendBody } from '../domain/schemas/spend.js';
import type { LedgerSlice, Store } from './store.js';
import { notePoints } from '../telemetry/telemetry.js';
import { instantOfMs } from '../domain/timestamp.js';
import { isDue } from './upkeep.js';

export type { Idempotency, Reply } from '../domain/idempotency.js';

export interface ServiceOptions {
  /** The clock (epoch ms) for expiry and recording times. */
  now?: () => number;
}

export class PointsService {
  private readonly queue: GroupQueue<Waiting, Account>;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    options: ServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    const rounds = new RoundServer(store, this.now);
    this.queue = new GroupQueue((userId, waiting, carried) => rounds.serve(userId, waiting, carried));
  }

  async add(userId: string, body: AddBody, idempotency?: Idempotency): Promise<Reply> {
    // Counted here, in the request's own context, not in the round that served it.
    const reply = await this.submit(userId, { kind: 'add', body }, idempotency);
    if (!reply.replayed) notePoints('added', body.points);
    return reply;
  }

  async spend(userId: string, body: SpendBody, idempotency?: Idempotency): Promise<Reply> {
    const reply = await this.submit(userId, { kind: 'spend', body }, idempotency);
    if (!reply.replayed) notePoints('spent', body.points);
    return reply;
  }

  reverse(userId: string, spendId: string, body: ReverseBody, idempotency?: Idempotency): Promise<Reply> {
    return this.submit(userId, { kind: 'reverse', spendId, body }, idempotency);
  }

  hold(userId: string, body: HoldBody, idempotency?: Idempotency): Promise<Reply> {
    return this.submit(userId, { kind: 'hold', body }, idempotency);
  }

  capture(userId: string, holdId: string, body: CaptureBody, idempotency?: Idempotency): Promise<Reply> {
    return this.submit(userId, { kind: 'endHold', holdId, capture: body }, idempotency);
  }

  release(userId: string, holdId: string, idempotency?: Idempotency): Promise<Reply> {
    return this.submit(userId, { kind: 'endHold', holdId }, idempotency);
  }

  /** Payers and balances, oldest payer first: one read of the account while no expiry is due. */
  async balance(userId: string): Promise<[string, number][]> {
    return balanceEntries(await this.current(userId, false));
  }

  /** Each payer's available, held and pending points (SPEC "Balance detail"), as cheaply. */
  async balanceDetail(userId: string) {
    return balanceDetail(await this.current(userId, false));
  }

  /** A page of the ledger after `afterSeq`, as of one version of the account. */
  async transactions(userId: string, afterSeq: number, limit: number): Promise<LedgerSlice> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const before = await this.current(userId, true);
      const slice = await this.store.ledger(userId, afterSeq, limit);
      // A query sees each item as committed, not the table as of one instant: re-reading the
      // version proves no write landed in between, so lots and spends agree on the page.
      const { account: after } = await this.store.load(userId);
      if (after.version === before.version) return slice;
      await retryDelay(attempt);
    }
    throw new ApiError('SERVICE_UNAVAILABLE', 'The ledger is changing too fast to read; retry.');
  }

  /**
   * The scheduled sweep (SPEC: an expiry is recorded within 1 hour even if nobody asks): every
   * account the due index lists as due now gets its upkeep, as a read would do it. Returns how many.
   */
  async sweep(): Promise<{ swept: number; failed: number }> {
    let swept = 0;
    let failed = 0;
    const running = new Set<Promise<void>>();
    for await (const userId of this.store.dueUsers(instantOfMs(this.now()).sortKey)) {
      // Each account within a request's budget, as a read's upkeep: one that fails is left for the next sweep.
      const task = withDeadline(() => this.current(userId, false)).then(
        () => void (swept += 1),
        () => void (failed += 1),
      );
      running.add(task);
      void task.finally(() => running.delete(task));
      if (running.size >= SWEEP_PARALLEL) await Promise.race(running);
    }
    await Promise.all(running);
    return { swept, failed };
  }

  /** The account with every expiry due now recorded (and, for `settled`, no pending work). */
  private async current(userId: string, settled: boolean): Promise<Account> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { account } = await this.store.load(userId);
      if (!isDue(account, instantOfMs(this.now()).sortKey) && !(settled && account.pending)) return account;
      await this.submit(userId, { kind: 'upkeep' });
    }
    throw new ApiError('SERVICE_UNAVAILABLE', 'The account is changing too fast to read; retry.');
  }

  private submit(userId: string, operation: Operation, idempotency?: Idempotency): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.queue.push(userId, {
        operation,
        ...(idempotency ? { idempotency } : {}),
        // Planned only while a write can still be sent and its outcome read back (lib/service/deadline.ts).
        deadline: this.now() + Math.min(REQUEST_BUDGET_MS, deadlineLeftMs(true)),
        settle: (outcome) => ('reply' in outcome ? resolve(outcome.reply) : reject(outcome.error)),
      });
    });
  }
}
