// A negative add: one payer's open lots, oldest first (SPEC "Lots"). It reads that payer's lots
// through their own index, so it is planned alone; any part that does not fit in its
// transaction rolls forward.
import type { Batch, Draft } from '../../domain/batch.js';
import { newId } from '../../domain/ids.js';
import { breakdownOf, checkDeduction, debitBreakdown, fitsBalances, planTakes, sumTakes } from '../../domain/ledger.js';
import type { AddBody } from '../../domain/schemas/add.js';
import type { AddItem } from '../../domain/schemas/responses.js';
import type { Store } from '../store.js';
import type { Mismatch } from './spend.js';

export async function planDeduct(batch: Batch, store: Store, userId: string, body: AddBody, room: number, mismatch: Mismatch): Promise<Draft> {
  const { account } = batch;
  const { payer } = body;
  const points = -body.points;
  checkDeduction(account, payer, points);
  const takes = planTakes((await store.openLots(userId, { payer, points })).lots, points);
  if (!takes) return mismatch();
  const breakdown = breakdownOf(takes);
  if (!fitsBalances(account.balances, breakdown)) return mismatch();
  const seq = account.seq + 1;
  const item: AddItem = { id: newId(seq), type: 'add', payer, points: body.points, timestamp: body.timestamp.utc };
  const first = takes.slice(0, room - 1);
  const left = points - sumTakes(first);
  return {
    reply: item,
    account: { ...account, seq, total: account.total - points, balances: debitBreakdown(account.balances, breakdown) },
    records: [{ seq, item }],
    lots: first.map(({ lot, take }) => ({ seq: lot.seq, remaining: lot.remaining - take })),
    ...(left > 0 ? { pending: { left, payer } } : {}),
    items: 1 + first.length,
  };
}
