// The pure domain of SPEC "The domain": lots, FIFO planning and the balance rules.
// No I/O here, so every rule can be tested exhaustively without a database.
import { ApiError } from './errors.js';
import { MAX_POINTS, type Breakdown } from './schemas.js';

export interface PayerBalance {
  balance: number;
  /** Order key of the payer's oldest lot: /balance lists payers oldest first. */
  first: string;
}

/** Work left over from an operation too large for one transaction (see README "Large operations"). */
export interface Pending {
  /** Points still to take from open lots, oldest first. */
  left: number;
  /** Set for a negative add: only this payer's lots are drawn on. */
  payer?: string;
}

export interface Account {
  version: number;
  /** Last arrival sequence number used; ledger records are numbered 1, 2, 3, … */
  seq: number;
  total: number;
  balances: Map<string, PayerBalance>;
  pending?: Pending;
}

export interface OpenLot {
  seq: number;
  payer: string;
  remaining: number;
}

export interface Take {
  lot: OpenLot;
  take: number;
}

export const emptyAccount = (): Account => ({ version: 0, seq: 0, total: 0, balances: new Map() });

/** One account item holds every payer's balance, so DynamoDB's 400 KB item limit caps them. */
export const MAX_PAYER_BYTES = 200_000;
const PAYER_OVERHEAD_BYTES = 64;
const payerBytes = (payer: string) => Buffer.byteLength(payer, 'utf8') + PAYER_OVERHEAD_BYTES;

export const seqKey = (seq: number) => String(seq).padStart(16, '0');
/** Sorts lots by (timestamp, arrival): see lib/timestamp.ts for why "#" works as separator. */
export const lotOrderKey = (timestampSortKey: string, seq: number) => `${timestampSortKey}#${seqKey(seq)}`;

/** New balances after a positive add, or the refusal SPEC asks for. */
export function creditPayer(account: Account, payer: string, points: number, orderKey: string): Map<string, PayerBalance> {
  const current = account.balances.get(payer);
  if ((current?.balance ?? 0) + points > MAX_POINTS || account.total + points > MAX_POINTS) {
    throw new ApiError('LIMIT_EXCEEDED', `Adding ${points} points would take a balance past ${MAX_POINTS}.`);
  }
  if (!current) {
    const used = [...account.balances.keys()].reduce((sum, p) => sum + payerBytes(p), 0);
    if (used + payerBytes(payer) > MAX_PAYER_BYTES) {
      throw new ApiError('LIMIT_EXCEEDED', 'This user has reached the maximum number of distinct payers.');
    }
  }
  const balances = new Map(account.balances);
  balances.set(payer, {
    balance: (current?.balance ?? 0) + points,
    first: current && current.first < orderKey ? current.first : orderKey,
  });
  return balances;
}

/** Refuses a negative add larger than the payer's balance. */
export function checkDeduction(account: Account, payer: string, points: number): void {
  const balance = account.balances.get(payer)?.balance ?? 0;
  if (balance < points) {
    throw new ApiError('INSUFFICIENT_PAYER_POINTS', `Payer ${JSON.stringify(payer)} has ${balance} points; cannot deduct ${points}.`);
  }
}

/** Refuses a spend larger than the user's total. */
export function checkSpend(account: Account, points: number): void {
  if (account.total < points) {
    throw new ApiError('INSUFFICIENT_POINTS', `The user has ${account.total} points; cannot spend ${points}.`);
  }
}

/**
 * Walks open lots (already in (timestamp, arrival) order) taking min(remaining, left) from each
 * until `points` are covered. Returns the takes, or null when the lots hold too few points.
 */
export function planTakes(lots: readonly OpenLot[], points: number): Take[] | null {
  const takes: Take[] = [];
  let left = points;
  for (const lot of lots) {
    if (left === 0) break;
    const take = Math.min(lot.remaining, left);
    if (take > 0) takes.push({ lot, take });
    left -= take;
  }
  return left === 0 ? takes : null;
}

/** One negative entry per payer, in the order the payers were first drawn on. */
export function breakdownOf(takes: readonly Take[]): Breakdown {
  const byPayer = new Map<string, number>();
  for (const { lot, take } of takes) byPayer.set(lot.payer, (byPayer.get(lot.payer) ?? 0) + take);
  return [...byPayer].map(([payer, points]) => ({ payer, points: -points }));
}

/** Balances after taking each payer's share of a breakdown (whose points are negative). */
export function debitBreakdown(balances: ReadonlyMap<string, PayerBalance>, breakdown: Breakdown): Map<string, PayerBalance> {
  const next = new Map(balances);
  for (const { payer, points } of breakdown) {
    const current = next.get(payer);
    if (!current || current.balance + points < 0) throw new Error(`ledger invariant: payer ${payer} would go negative`);
    next.set(payer, { ...current, balance: current.balance + points });
  }
  return next;
}

/** Payers and balances in the order /balance lists them: by their oldest lot. */
export function balanceEntries(account: Account): [string, number][] {
  return [...account.balances]
    .sort(([, a], [, b]) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))
    .map(([payer, { balance }]) => [payer, balance]);
}
