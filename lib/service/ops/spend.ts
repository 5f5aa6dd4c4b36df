// A spend: the oldest open lots across payers (SPEC "Lots"). Batchable while its lots fit in what
// is left of the batch's transaction; a spend too large for any one transaction commits its first
// part and leaves the rest as pending work (docs/architecture.md "Large operations"), alone in its batch.
import { LATER, type Batch, type Draft } from '../../domain/batch.js';
import { newId } from '../../domain/ids.js';
import { breakdownOf, checkSpend, debitBreakdown, fitsBalances, sumTakes } from '../../domain/ledger.js';
import type { SpendBody } from '../../domain/schemas/spend.js';
import type { SpendItem } from '../../domain/schemas/responses.js';
import { instantOfMs } from '../../domain/timestamp.js';

/** Lots that are read after the account and disagree with it: a conflict, or a broken invariant. */
export type Mismatch = () => Promise<never>;

/** Items of a spend besides its lots: the record and the chunk of its takes. */
const SPEND_ITEMS = 2;

export async function planSpend(batch: Batch, body: SpendBody, room: number, mismatch: Mismatch): Promise<Draft | typeof LATER> {
  const { account } = batch;
  checkSpend(account, body.points);
  const takes = await batch.book.plan(body.points);
  if (!takes) return mismatch();
  const breakdown = breakdownOf(takes);
  if (!fitsBalances(account.balances, breakdown)) return mismatch();
  const seq = account.seq + 1;
  const item: SpendItem = { id: newId(seq), type: 'spend', points: -body.points, timestamp: instantOfMs(batch.now).utc, breakdown, reversed: 0 };
  const draft = {
    reply: breakdown,
    account: { ...account, seq, total: account.total - body.points, balances: debitBreakdown(account.balances, breakdown) },
    records: [{ seq, item }],
  };
  const lots = batch.book.newlyTouched(takes);
  if (SPEND_ITEMS + lots <= room) return { ...draft, takes, chunks: [{ spendSeq: seq, chunk: 0, start: 0, takes }], items: SPEND_ITEMS + lots };
  if (batch.planned > 0) return LATER;
  const first = takes.slice(0, room - SPEND_ITEMS);
  const taken = sumTakes(first);
  return {
    ...draft,
    takes: first,
    chunks: [{ spendSeq: seq, chunk: 0, start: 0, takes: first }],
    pending: { left: body.points - taken, spend: { seq, chunk: 1, start: taken } },
    items: SPEND_ITEMS + first.length,
  };
}
