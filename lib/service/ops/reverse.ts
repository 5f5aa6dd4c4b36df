// A reversal (SPEC "Expiry and reversal"): the last-taken points of a spend go back into the exact
// lots they came from; points given back to a lot that has expired expire at once. Planned alone;
// what does not fit in its transaction rolls forward from the spend's remembered takes.
import type { Batch, Draft } from '../../domain/batch.js';
import { ApiError } from '../../domain/errors.js';
import { newId, seqOfId } from '../../domain/ids.js';
import { breakdownOf, creditBreakdown, debitBreakdown, earliest, givebacks, isExpired, sumTakes, type Take } from '../../domain/ledger.js';
import { expireRecord } from '../../domain/records.js';
import type { ReverseBody } from '../../domain/schemas/reverse.js';
import type { ReversalItem } from '../../domain/schemas/responses.js';
import type { LotUpdate, NewRecord } from '../../domain/commit.js';
import type { Store } from '../store.js';
import { instantOfMs } from '../../domain/timestamp.js';

/** Items of a reversal besides what it gives back: its record and the spend's `reversed`. */
const REVERSAL_ITEMS = 2;

/** Each give-back is one item: the lot it raises, or the expire record of a lot already expired. */
export function giveBackWrites(gives: readonly Take[], at: string, firstSeq: number): { records: NewRecord[]; lots: LotUpdate[] } {
  const records: NewRecord[] = [];
  const lots: LotUpdate[] = [];
  let seq = firstSeq;
  for (const { lot, take } of gives) {
    if (isExpired(lot, at)) records.push(expireRecord(seq++, lot, take));
    else lots.push({ seq: lot.seq, giveBack: take, lot });
  }
  return { records, lots };
}

export async function planReverse(batch: Batch, store: Store, userId: string, spendId: string, body: ReverseBody, room: number): Promise<Draft> {
  const { account } = batch;
  const spendSeq = seqOfId(spendId);
  const spend = spendSeq === undefined ? undefined : await store.spendAt(userId, spendSeq);
  if (spendSeq === undefined || !spend || spend.id !== spendId) throw new ApiError('NOT_FOUND', `This user has no spend ${JSON.stringify(spendId)}.`);
  const spent = -spend.points;
  const open = spent - spend.reversed;
  const points = body.points ?? open;
  if (points === 0 || points > open) {
    const asked = body.points === undefined ? 'nothing is left to reverse' : `cannot reverse ${points}`;
    throw new ApiError('EXCEEDS_SPEND', `The spend has ${open} of its ${spent} points left to reverse; ${asked}.`);
  }
  const hi = open;
  const lo = hi - points;
  const gives = givebacks(await store.spendTakes(userId, spendSeq, lo), lo, hi);
  if (sumTakes(gives) !== points) throw new Error(`ledger invariant: spend ${spendId} does not remember its takes`);

  const at = instantOfMs(batch.now);
  const expired = gives.filter(({ lot }) => isExpired(lot, at.sortKey));
  const breakdown = breakdownOf(gives, 1);
  const seq = account.seq + 1;
  const item: ReversalItem = { id: newId(seq), type: 'reversal', spend: spendId, points, timestamp: at.utc, breakdown };
  const first = gives.slice(0, room - REVERSAL_ITEMS);
  const writes = giveBackWrites(first, at.sortKey, seq + 1);
  const restGiven = points - sumTakes(first);
  const next = gives[first.length];
  const reopened = gives.filter(({ lot }) => !isExpired(lot, at.sortKey)).map(({ lot }) => lot.expiryKey);
  return {
    reply: item,
    account: {
      ...account,
      // Every expire record this reversal will write has its number now, so the ledger stays in order.
      seq: seq + expired.length,
      total: account.total + points - sumTakes(expired),
      balances: debitBreakdown(creditBreakdown(account.balances, breakdown), breakdownOf(expired)),
      nextExpiry: reopened.reduce(earliest, account.nextExpiry),
    },
    records: [{ seq, item }, ...writes.records],
    lots: writes.lots,
    reversed: { seq: spendSeq, points: spend.reversed + points },
    ...(next ? { pending: { reverse: { spend: spendSeq, lo, hi: lo + restGiven, at: at.sortKey, nextSeq: seq + 1 + writes.records.length, chunk: next.chunk } } } : {}),
    items: REVERSAL_ITEMS + first.length,
  };
}
