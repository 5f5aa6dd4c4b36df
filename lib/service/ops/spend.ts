// A spend, and a hold, which takes exactly what a spend of the same size would (SPEC "Lots",
// "Holds and pending points"): the oldest open lots across payers. Batchable while its lots fit in
// what is left of the batch's transaction; one too large for any one transaction commits its
// first part and leaves the rest as pending work (docs/architecture.md "Large operations"), alone in its batch.
import { LATER, type Batch, type Draft } from '../../domain/batch.js';
import { ApiError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { adjustBalances, breakdownOf, changesOf, checkSpend, earliest, fitsBalances, sumTakes } from '../../domain/ledger.js';
import type { NewRecord } from '../../domain/commit.js';
import { HOLD_DEFAULT_MS, HOLD_MAX_MS, type HoldBody } from '../../domain/schemas/hold.js';
import type { SpendBody } from '../../domain/schemas/spend.js';
import type { Breakdown, HoldItem, SpendItem } from '../../domain/schemas/responses.js';
import { instantOfMs, type Instant } from '../../domain/timestamp.js';

/** Lots that are read after the account and disagree with it: a conflict, or a broken invariant. */
export type Mismatch = () => Promise<never>;

/** Items of a spend or hold besides its lots: the record and the chunk of its takes. */
const SPEND_ITEMS = 2;

/** What the taking records: its ledger record, its answer, and whether the points are held. */
type Taking = (seq: number, breakdown: Breakdown) => { record: NewRecord; reply: unknown; held: boolean };

async function planTaking(batch: Batch, points: number, room: number, mismatch: Mismatch, taking: Taking): Promise<Draft | typeof LATER> {
  const { account } = batch;
  checkSpend(account, points);
  const takes = await batch.book.plan(points);
  if (!takes) return mismatch();
  const breakdown = breakdownOf(takes);
  if (!fitsBalances(account.balances, breakdown)) return mismatch();
  const seq = account.seq + 1;
  const { record, reply, held } = taking(seq, breakdown);
  const draft = {
    reply,
    account: {
      ...account,
      seq,
      total: account.total - points,
      balances: adjustBalances(account.balances, [...changesOf(breakdown, 'available'), ...(held ? changesOf(breakdown, 'held', -1) : [])]),
      nextExpiry: earliest(account.nextExpiry, record.holdExpiryKey),
    },
    records: [record],
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
    pending: { left: points - taken, spend: { seq, chunk: 1, start: taken } },
    items: SPEND_ITEMS + first.length,
  };
}

export function planSpend(batch: Batch, body: SpendBody, room: number, mismatch: Mismatch): Promise<Draft | typeof LATER> {
  return planTaking(batch, body.points, room, mismatch, (seq, breakdown) => {
    const item: SpendItem = { id: newId(seq), type: 'spend', points: -body.points, timestamp: instantOfMs(batch.now).utc, breakdown, reversed: 0 };
    return { record: { seq, item }, reply: breakdown, held: false };
  });
}

/** SPEC: a hold's expiresAt is later than now and at most 31 days ahead; 7 days by default. */
function holdExpiry(now: number, expiresAt: Instant | undefined): Instant {
  if (expiresAt === undefined) return instantOfMs(now + HOLD_DEFAULT_MS);
  const refuse = (message: string) => new ApiError('VALIDATION_FAILED', 'The body is not valid.', [{ path: 'expiresAt', message }]);
  if (expiresAt.sortKey <= instantOfMs(now).sortKey) throw refuse('must be later than now');
  if (expiresAt.sortKey > instantOfMs(now + HOLD_MAX_MS).sortKey) throw refuse('must be at most 31 days ahead');
  return expiresAt;
}

export function planHold(batch: Batch, body: HoldBody, room: number, mismatch: Mismatch): Promise<Draft | typeof LATER> {
  // Checked against the batch's clock, after any replay: a retry of a keyed hold gets its first answer.
  const expiresAt = holdExpiry(batch.now, body.expiresAt);
  return planTaking(batch, body.points, room, mismatch, (seq, breakdown) => {
    const item: HoldItem = {
      id: newId(seq),
      type: 'hold',
      points: -body.points,
      timestamp: instantOfMs(batch.now).utc,
      expiresAt: expiresAt.utc,
      breakdown,
      status: 'held',
      captured: 0,
    };
    return { record: { seq, item, holdExpiryKey: expiresAt.sortKey }, reply: item, held: true };
  });
}
