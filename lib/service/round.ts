// One round of group commit (docs/architecture.md "Concurrency"): reads the account, or trusts the one the
// previous round committed, does any upkeep due (roll-forward, expiry), plans the waiting requests
// in arrival order as one batch and commits it as one transaction checked against the account
// version. A round that loses the version race starts over with what waits by then.
import { backoff } from './backoff.js';
import { Batch, LATER, type Draft, type Outcome } from '../domain/batch.js';
import { isUnavailable } from './store.js';
import { ApiError } from '../domain/errors.js';
import type { Round } from './group-queue.js';
import type { Idempotency } from '../domain/idempotency.js';
import type { Account } from '../domain/ledger.js';
import { LotBook } from '../domain/lot-book.js';
import { planAdd } from './ops/add.js';
import { planDeduct } from './ops/deduct.js';
import { planReverse } from './ops/reverse.js';
import { planHold, planSpend, type Mismatch } from './ops/spend.js';
import { planHoldEnd } from './ops/hold-end.js';
import type { CaptureBody, HoldBody } from '../domain/schemas/hold.js';
import { commitWithReadBack } from './outcome.js';
import { RoundLease } from './round-lease.js';
import type { AddBody } from '../domain/schemas/add.js';
import type { ReverseBody } from '../domain/schemas/reverse.js';
import type { SpendBody } from '../domain/schemas/spend.js';
import { ConflictError, lotsMismatch, type Store } from './store.js';
import { noteConflictRetry, noteRollForwardBatch } from '../telemetry/telemetry.js';
import { instantOfMs } from '../domain/timestamp.js';
import { expireDue, isDue, rollForward } from './upkeep.js';

export type Operation =
  | { kind: 'add'; body: AddBody }
  | { kind: 'spend'; body: SpendBody }
  | { kind: 'reverse'; spendId: string; body: ReverseBody }
  | { kind: 'hold'; body: HoldBody }
  /** A capture (`capture` set) or a release of a hold. */
  | { kind: 'endHold'; holdId: string; capture?: CaptureBody }
  /** No effect: a read waits for the upkeep a round does first. */
  | { kind: 'upkeep' };

/** A request in the queue of its user (lib/service/group-queue.ts). */
export interface Waiting {
  operation: Operation;
  idempotency?: Idempotency;
  /** Epoch ms after which the request is answered 503 rather than planned. */
  deadline: number;
  settle(outcome: Outcome): void;
}

/** Optimistic rounds before giving up with 503; reached only under pathological contention. */
export const MAX_ATTEMPTS = 200;
/** Between optimistic retries: 4 ms doubling, capped at 250 ms. */
export const retryDelay = (attempt: number) => backoff(attempt, 4, 250);

/** The account and every waiting key are read in one BatchGetItem of at most 100 keys. */
const MAX_KEYS = 99;

/** The longest prefix of the queue whose idempotency keys fit in that one read. */
function withinOneRead(waiting: readonly Waiting[]): readonly Waiting[] {
  const keys = new Set<string>();
  let end = 0;
  for (; end < waiting.length; end++) {
    const key = waiting[end]!.idempotency?.key;
    if (key !== undefined && !keys.has(key) && keys.size === MAX_KEYS) break;
    if (key !== undefined) keys.add(key);
  }
  return waiting.slice(0, end);
}

/** The answer to a request whose deadline passed before it could be planned. */
const waitedTooLong = () => new ApiError('SERVICE_UNAVAILABLE', 'The request waited too long behind others for this user; nothing was applied.');

/** Operations that read records besides the open lots are planned alone in their batch. */
const isSolo = (operation: Operation) => operation.kind === 'reverse' || operation.kind === 'endHold' || (operation.kind === 'add' && operation.body.points < 0);

export class RoundServer {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /**
   * One round: settles the requests it planned (at least the first waiting one). Never throws.
   * `carried` is the account as the previous round committed it, when this round follows it at
   * once: planning on it saves a read, and the version check still catches any other writer.
   */
  async serve(userId: string, queued: () => readonly Waiting[], carried: Account | undefined): Promise<Round<Waiting, Account>> {
    // Requests out of time are answered first, so that no round runs on a spent deadline (a
    // round keeps its oldest request's).
    const late = queued().filter((w) => this.now() > w.deadline);
    if (late.length > 0) {
      for (const request of late) request.settle({ error: waitedTooLong() });
      return { settled: late };
    }
    let waiting: readonly Waiting[] = [];
    const lease = new RoundLease(this.store, userId);
    let conflicts = 0;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          // Each attempt starts from nothing applied: it takes in what arrived meanwhile.
          waiting = withinOneRead(queued());
          if (attempt >= MAX_ATTEMPTS) throw new ApiError('SERVICE_UNAVAILABLE', 'Too many concurrent requests for this user; retry.');
          const claimed = await lease.beforeAttempt(conflicts);
          const now = this.now();
          const nowKey = instantOfMs(now).sortKey;
          const keys = waiting.flatMap((w) => (w.idempotency ? [w.idempotency.key] : []));
          // Keys must be looked up. Without keys, no read is needed on the first attempt of a
          // round that carries the account, nor on an attempt whose lease claim returned it.
          const known = keys.length > 0 ? undefined : attempt === 0 ? carried : claimed;
          const { account, idempotency, busyForMs } = known ? { account: known, idempotency: new Map(), busyForMs: 0 } : await this.store.load(userId, keys);
          if (await lease.waitedForOther(busyForMs)) continue;
          if (account.pending || isDue(account, nowKey)) {
            lease.committed(); // an upkeep commit ends the lease too
            await (account.pending ? rollForward(this.store, userId, account, this.now, noteRollForwardBatch) : expireDue(this.store, userId, account, now));
            continue;
          }
          const batch = new Batch(account, new LotBook((after, points) => this.store.openLots(userId, { ...(after !== undefined ? { after } : {}), points })), now, idempotency);
          const outcomes = await this.plan(userId, batch, waiting);
          const commit = batch.commit(userId, account.version);
          if (commit) {
            await commitWithReadBack(this.store, commit);
            lease.committed();
          }
          const committed: Account = { ...batch.account, version: account.version + (commit ? 1 : 0) };
          if (batch.pending) await this.finishAfterCommit(userId, { ...committed, pending: batch.pending });
          // Answered on the next turn of the event loop: the next round, if requests wait, sends
          // its transaction first, and DynamoDB works on it while these answers go out.
          setImmediate(() => {
            for (const [request, outcome] of outcomes) request.settle(outcome);
          });
          // Carried on only when no other writer showed up: after a conflict, a carried account
          // would most likely be stale again, and a lost transaction costs more than a read.
          return { settled: [...outcomes.keys()], ...(batch.pending || attempt > 0 ? {} : { carry: committed }) };
        } catch (error) {
          if (error instanceof ConflictError) {
            noteConflictRetry();
            // Backoff grows with lost races, not with the attempts spent waiting for a lease.
            await retryDelay(conflicts++);
            continue;
          }
          // Nothing of this round was applied (or OUTCOME_UNKNOWN says it may have been): every
          // waiting request gets the same answer, and may be retried.
          for (const request of waiting) request.settle({ error });
          return { settled: waiting };
        }
      }
    } finally {
      await lease.end();
    }
  }

  /** Plans waiting requests in arrival order into `batch`, as far as they fit; returns the settled ones. */
  private async plan(userId: string, batch: Batch, waiting: readonly Waiting[]): Promise<Map<Waiting, Outcome>> {
    const outcomes = new Map<Waiting, Outcome>();
    const version = batch.account.version;
    const mismatch: Mismatch = () => lotsMismatch(this.store, userId, version, 'the open lots do not match the account balances');
    for (const request of waiting) {
      const { operation, idempotency } = request;
      if (batch.now > request.deadline) {
        outcomes.set(request, { error: waitedTooLong() });
        continue;
      }
      if (operation.kind === 'upkeep') {
        outcomes.set(request, { reply: { status: 200, body: '' } });
        continue;
      }
      const earlier = batch.earlierAnswer(idempotency);
      if (earlier) {
        outcomes.set(request, earlier);
        continue;
      }
      if (isSolo(operation) && batch.planned > 0) break;
      const room = batch.room - (idempotency ? 1 : 0);
      let draft: Draft | typeof LATER;
      try {
        draft = await this.draft(userId, batch, operation, room, mismatch);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (!batch.refuse(error, idempotency)) break;
        outcomes.set(request, { error });
        continue;
      }
      const reply = draft === LATER ? undefined : batch.accept(draft, idempotency);
      if (!reply) break;
      outcomes.set(request, { reply });
      if (batch.pending || isSolo(operation)) break;
    }
    return outcomes;
  }

  private draft(userId: string, batch: Batch, operation: Exclude<Operation, { kind: 'upkeep' }>, room: number, mismatch: Mismatch): Promise<Draft | typeof LATER> {
    switch (operation.kind) {
      case 'add':
        if (operation.body.points < 0) return planDeduct(batch, this.store, userId, operation.body, room, mismatch);
        return Promise.resolve(planAdd(batch.account, operation.body, instantOfMs(batch.now).sortKey));
      case 'spend':
        return planSpend(batch, operation.body, room, mismatch);
      case 'reverse':
        return planReverse(batch, this.store, userId, operation.spendId, operation.body, room);
      case 'hold':
        return planHold(batch, operation.body, room, mismatch);
      case 'endHold':
        return planHoldEnd(batch, this.store, userId, operation.holdId, operation.capture, room);
    }
  }

  /**
   * The rest of a large operation, right after its first transaction committed it. A failure here
   * loses nothing: the pending work is in the account, and the next request for the user finishes it.
   */
  private async finishAfterCommit(userId: string, account: Account): Promise<void> {
    try {
      await rollForward(this.store, userId, account, this.now, noteRollForwardBatch);
    } catch (error) {
      // A DynamoDB fault is not the request's failure: its answer is already committed. Anything
      // else (a broken invariant) still is.
      if (!isUnavailable(error)) throw error;
    }
  }
}
