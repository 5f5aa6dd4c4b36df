// Points going back into the exact lots they were taken from: a reversal gives back spent points,
// a release (or the rest of a capture) held ones. Points given back to a lot that has expired
// expire at once. What does not fit in the transaction rolls forward from the remembered takes.
import { adjustBalances, breakdownOf, changesOf, earliest, isExpired, sumTakes, type Account, type ReversePending, type Take } from '../../domain/ledger.js';
import { expireRecord } from '../../domain/records.js';
import type { LotUpdate, NewRecord } from '../../domain/commit.js';
import type { Breakdown } from '../../domain/schemas/responses.js';

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

export interface GiveBackPlan {
  /** Points given back per payer, in the order given back. */
  breakdown: Breakdown;
  account: Account;
  /** The expire records and lot updates of this transaction. */
  records: NewRecord[];
  lots: LotUpdate[];
  pending?: ReversePending;
}

/**
 * Gives back `gives` (positions [lo, hi) of the takes stored under `chunkSeq`, last taken first),
 * as of the clock `at` (a sort key), by the record numbered `seq`, whose expire records follow
 * it. `fromHeld`: the points leave the payers' held points (a release) rather than come from
 * nowhere (a reversal of spent points). At most `room` gives are written now.
 */
export function planGiveBack(
  account: Account,
  options: { gives: readonly (Take & { chunk: number })[]; at: string; seq: number; room: number; chunkSeq: number; lo: number; fromHeld: boolean },
): GiveBackPlan {
  const { gives, at, seq, room, chunkSeq, lo, fromHeld } = options;
  const expired = gives.filter(({ lot }) => isExpired(lot, at));
  const breakdown = breakdownOf(gives, 1);
  const first = gives.slice(0, room);
  const writes = giveBackWrites(first, at, seq + 1);
  const restGiven = sumTakes(gives) - sumTakes(first);
  const next = gives[first.length];
  const reopened = gives.filter(({ lot }) => !isExpired(lot, at)).map(({ lot }) => lot.expiryKey);
  const changes = [...changesOf(breakdown, 'available'), ...(fromHeld ? changesOf(breakdown, 'held', -1) : []), ...changesOf(breakdownOf(expired), 'available')];
  return {
    breakdown,
    account: {
      ...account,
      // Every expire record this will write has its number now, so the ledger stays in order.
      seq: seq + expired.length,
      total: account.total + sumTakes(gives) - sumTakes(expired),
      balances: adjustBalances(account.balances, changes),
      nextExpiry: reopened.reduce(earliest, account.nextExpiry),
    },
    ...writes,
    ...(next ? { pending: { reverse: { spend: chunkSeq, lo, hi: lo + restGiven, at, nextSeq: seq + 1 + writes.records.length, chunk: next.chunk } } } : {}),
  };
}
