// A reversal (SPEC "Expiry and reversal"): the last-taken points of a spend go back into the exact
// lots they came from (lib/service/ops/give-back.ts). Planned alone; what does not fit in its
// transaction rolls forward from the spend's remembered takes.
import type { Batch, Draft } from '../../domain/batch.js';
import { ApiError } from '../../domain/errors.js';
import { newId, seqOfId } from '../../domain/ids.js';
import { givebacks, sumTakes } from '../../domain/ledger.js';
import type { ReverseBody } from '../../domain/schemas/reverse.js';
import type { ReversalItem } from '../../domain/schemas/responses.js';
import type { Store } from '../store.js';
import { instantOfMs } from '../../domain/timestamp.js';
import { planGiveBack } from './give-back.js';

/** Items of a reversal besides what it gives back: its record and the spend's `reversed`. */
const REVERSAL_ITEMS = 2;

export async function planReverse(batch: Batch, store: Store, userId: string, spendId: string, body: ReverseBody, room: number): Promise<Draft> {
  const { account } = batch;
  const spendSeq = seqOfId(spendId);
  const spend = spendSeq === undefined ? undefined : await store.recordAt(userId, spendSeq);
  if (spendSeq === undefined || spend?.type !== 'spend' || spend.id !== spendId) throw new ApiError('NOT_FOUND', `This user has no spend ${JSON.stringify(spendId)}.`);
  const spent = -spend.points;
  const open = spent - spend.reversed;
  const points = body.points ?? open;
  if (points === 0 || points > open) {
    const asked = body.points === undefined ? 'nothing is left to reverse' : `cannot reverse ${points}`;
    throw new ApiError('EXCEEDS_SPEND', `The spend has ${open} of its ${spent} points left to reverse; ${asked}.`);
  }
  const hi = open;
  const lo = hi - points;
  // A captured spend's takes are the first ones of its hold, stored with the hold.
  const chunkSeq = spend.hold === undefined ? spendSeq : seqOfId(spend.hold)!;
  const gives = givebacks(await store.spendTakes(userId, chunkSeq, lo), lo, hi);
  if (sumTakes(gives) !== points) throw new Error(`ledger invariant: spend ${spendId} does not remember its takes`);

  const at = instantOfMs(batch.now);
  const seq = account.seq + 1;
  const plan = planGiveBack(account, { gives, at: at.sortKey, seq, room: room - REVERSAL_ITEMS, chunkSeq, lo, fromHeld: false });
  const item: ReversalItem = { id: newId(seq), type: 'reversal', spend: spendId, points, timestamp: at.utc, breakdown: plan.breakdown };
  return {
    reply: item,
    account: plan.account,
    records: [{ seq, item }, ...plan.records],
    lots: plan.lots,
    reversed: { seq: spendSeq, points: spend.reversed + points },
    ...(plan.pending ? { pending: plan.pending } : {}),
    items: REVERSAL_ITEMS + plan.records.length + plan.lots.length,
  };
}
