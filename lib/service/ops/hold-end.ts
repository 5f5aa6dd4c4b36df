// The end of a hold (SPEC "Holds and pending points"): a capture records a spend of the hold's
// oldest points and gives the rest back; a release, asked for or at the hold's expiresAt, gives
// everything back into the exact lots (lib/service/ops/give-back.ts), the newest taken first.
// Planned alone; what does not fit in its transaction rolls forward from the hold's takes.
import type { Batch, Draft } from '../../domain/batch.js';
import { ApiError } from '../../domain/errors.js';
import { newId, seqOfId } from '../../domain/ids.js';
import { adjustBalances, breakdownOf, changesOf, givebacks, sumTakes, type Account, type PlacedTake } from '../../domain/ledger.js';
import type { Commit } from '../../domain/commit.js';
import type { CaptureBody } from '../../domain/schemas/hold.js';
import type { HoldItem, ReleaseItem, SpendItem } from '../../domain/schemas/responses.js';
import { instantOfMs, type Instant } from '../../domain/timestamp.js';
import type { Store } from '../store.js';
import { planGiveBack, type GiveBackPlan } from './give-back.js';

/** Items besides what a release gives back: its record and the hold's new status. */
const RELEASE_ITEMS = 2;

/** The points at positions [0, m) of the takes, in taking order: what a spend of m would have taken. */
function firstPoints(takes: readonly PlacedTake[], m: number): PlacedTake[] {
  return takes.filter(({ start }) => start < m).map((t) => ({ ...t, take: Math.min(t.take, m - t.start) }));
}

export interface ReleasePlan extends GiveBackPlan {
  item: ReleaseItem;
  /** Items written now, the hold's status update included. */
  items: number;
}

/**
 * Gives back positions [lo, n) of a hold's takes by a release record numbered account.seq + 1,
 * as of `at` (now, or the hold's expiresAt when it expired by itself). `room`: items left for it.
 */
export function planRelease(account: Account, hold: HoldItem, takes: readonly PlacedTake[], lo: number, at: Instant, room: number, expired: boolean): ReleasePlan {
  const holdSeq = seqOfId(hold.id)!;
  const n = -hold.points;
  const gives = givebacks(takes, lo, n);
  if (sumTakes(gives) !== n - lo) throw new Error(`ledger invariant: hold ${hold.id} does not remember its takes`);
  const seq = account.seq + 1;
  const plan = planGiveBack(account, { gives, at: at.sortKey, seq, room: room - RELEASE_ITEMS, chunkSeq: holdSeq, lo, fromHeld: true });
  const item: ReleaseItem = { id: newId(seq), type: 'release', hold: hold.id, points: n - lo, timestamp: at.utc, breakdown: plan.breakdown, ...(expired ? { expired: true as const } : {}) };
  return { ...plan, item, records: [{ seq, item }, ...plan.records], items: RELEASE_ITEMS + plan.records.length + plan.lots.length };
}

async function heldHold(store: Store, userId: string, holdId: string): Promise<HoldItem> {
  const seq = seqOfId(holdId);
  const hold = seq === undefined ? undefined : await store.recordAt(userId, seq);
  if (hold?.type !== 'hold' || hold.id !== holdId) throw new ApiError('NOT_FOUND', `This user has no hold ${JSON.stringify(holdId)}.`);
  if (hold.status !== 'held') throw new ApiError('HOLD_NOT_ACTIVE', `The hold is ${hold.status}, no longer held.`);
  return hold;
}

/** POST …/holds/{holdId}/capture (`capture` set) or …/release. */
export async function planHoldEnd(batch: Batch, store: Store, userId: string, holdId: string, capture: CaptureBody | undefined, room: number): Promise<Draft> {
  const hold = await heldHold(store, userId, holdId);
  const holdSeq = seqOfId(holdId)!;
  const n = -hold.points;
  const m = capture ? (capture.points ?? n) : 0;
  if (m > n) throw new ApiError('EXCEEDS_HOLD', `The hold has ${n} points; cannot capture ${m}.`);
  const now = instantOfMs(batch.now);
  const takes = await store.spendTakes(userId, holdSeq, 0);
  const status: NonNullable<Commit['hold']> = { seq: holdSeq, status: capture ? 'captured' : 'released', captured: m };
  let account = batch.account;
  let spend: SpendItem | undefined;
  if (capture) {
    const seq = account.seq + 1;
    const breakdown = breakdownOf(firstPoints(takes, m));
    spend = { id: newId(seq), type: 'spend', points: -m, timestamp: now.utc, breakdown, reversed: 0, hold: holdId };
    account = { ...account, seq, balances: adjustBalances(account.balances, changesOf(breakdown, 'held')) };
  }
  const spendRecords = spend ? [{ seq: account.seq, item: spend }] : [];
  if (m === n) return { reply: spend, account, records: spendRecords, hold: status, items: 2 };
  const release = planRelease(account, hold, takes, m, now, room - spendRecords.length, false);
  return {
    reply: spend ?? release.item,
    account: release.account,
    records: [...spendRecords, ...release.records],
    lots: release.lots,
    hold: status,
    ...(release.pending ? { pending: release.pending } : {}),
    items: spendRecords.length + release.items,
  };
}
