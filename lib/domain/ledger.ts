// lib/domain/: the pure ledger (lots, FIFO planning, batches, commits as data, timestamps, ids,
// typed errors, and the zod schemas the types flow from). Imports only zod and node:crypto.
//
// The pure domain of SPEC "The domain": lots, FIFO planning and the balance rules.
// No I/O here, so every rule can be tested exhaustively without a database.
import { ApiError } from './errors.js';
import { MAX_PAYER_BYTES, PAYER_OVERHEAD_BYTES } from './limits.js';
import { MAX_POINTS } from './schemas/fields.js';
import type { Breakdown } from './schemas/responses.js';

export interface PayerBalance {
  /** Available points: what /balance shows and spends, holds and negative adds may take. */
  balance: number;
  /** Order key of the payer's oldest lot: /balance lists payers oldest first. */
  first: string;
  /** Points in open holds (SPEC "Holds and pending points"); absent when 0. */
  held?: number;
  /** Points of lots not yet available; absent when 0. */
  pending?: number;
}

/** A change of one payer's available, held and pending points. */
export interface PayerChange {
  payer: string;
  available?: number;
  held?: number;
  pending?: number;
}

/** Work left over from an operation too large for one transaction (see docs/architecture.md "Large operations"). */
export type Pending = ConsumePending | ReversePending;

/** A spend or negative add: points still to take from open lots, oldest first. */
export interface ConsumePending {
  left: number;
  /** Set for a negative add: only this payer's lots are drawn on. */
  payer?: string;
  /** Set for a spend: where the next chunk of its takes goes (spends remember their takes for reversal). */
  spend?: { seq: number; chunk: number; start: number };
}

/** A reversal: positions [lo, hi) of the spend's takes are still to give back, highest first. */
export interface ReversePending {
  reverse: {
    spend: number;
    lo: number;
    hi: number;
    /** The reversal's clock (sort key): whether a lot counts as expired is decided once. */
    at: string;
    /** Sequence number of the next `expire` record to write. */
    nextSeq: number;
    /** The stored chunk holding position hi − 1: reading starts there. */
    chunk: number;
  };
}

export const isReversePending = (p: Pending): p is ReversePending => 'reverse' in p;

export interface Account {
  version: number;
  /** Last arrival sequence number used; ledger records are numbered 1, 2, 3, … */
  seq: number;
  total: number;
  balances: Map<string, PayerBalance>;
  pending?: Pending;
  /**
   * Sort key of the earliest instant something falls due: an open lot expires, a pending lot
   * becomes available, an open hold expires. May lag behind (earlier), never ahead.
   */
  nextExpiry?: string;
}

/** An open lot as the planner sees it. */
export interface OpenLot {
  seq: number;
  /** The add's ledger id (an expire item names it). */
  id: string;
  payer: string;
  remaining: number;
  /** (timestamp, arrival) order key: see lotOrderKey. */
  orderKey: string;
  /** Sort key of expiresAt, and expiresAt as returned to clients, when the lot expires. */
  expiryKey?: string;
  expiresAt?: string;
}

export interface Take<L extends { payer: string; remaining: number } = OpenLot> {
  lot: L;
  take: number;
}

export const emptyAccount = (): Account => ({ version: 0, seq: 0, total: 0, balances: new Map() });

const payerBytes = (payer: string) => Buffer.byteLength(payer, 'utf8') + PAYER_OVERHEAD_BYTES;

export const seqKey = (seq: number) => String(seq).padStart(16, '0');
/** Sorts lots by (timestamp, arrival): see lib/domain/timestamp.ts for why "#" works as separator. */
export const lotOrderKey = (timestampSortKey: string, seq: number) => `${timestampSortKey}#${seqKey(seq)}`;

/** Every point a payer's lots still hold for the user: available, held and pending (SPEC "Fields"). */
const heldForUser = (b: PayerBalance | undefined) => (b ? b.balance + (b.held ?? 0) + (b.pending ?? 0) : 0);

/** New balances after a positive add (pending ones: `pending`), or the refusal SPEC asks for. */
export function creditPayer(account: Account, payer: string, points: number, orderKey: string, pending = false): Map<string, PayerBalance> {
  const current = account.balances.get(payer);
  let userTotal = 0;
  for (const b of account.balances.values()) userTotal += heldForUser(b);
  if (heldForUser(current) + points > MAX_POINTS || userTotal + points > MAX_POINTS) {
    throw new ApiError('LIMIT_EXCEEDED', `Adding ${points} points would take a balance past ${MAX_POINTS}.`);
  }
  if (!current) {
    const used = [...account.balances.keys()].reduce((sum, p) => sum + payerBytes(p), 0);
    if (used + payerBytes(payer) > MAX_PAYER_BYTES) {
      throw new ApiError('LIMIT_EXCEEDED', 'This user has reached the maximum number of distinct payers.');
    }
  }
  const balances = new Map(account.balances);
  balances.set(payer, { ...(current ?? { balance: 0 }), first: current && current.first < orderKey ? current.first : orderKey });
  return adjustBalances(balances, [{ payer, [pending ? 'pending' : 'available']: points }]);
}

/** Balances after these changes; no figure may go below zero. */
export function adjustBalances(balances: ReadonlyMap<string, PayerBalance>, changes: readonly PayerChange[]): Map<string, PayerBalance> {
  const next = new Map(balances);
  for (const { payer, available = 0, held = 0, pending = 0 } of changes) {
    const current = next.get(payer);
    if (!current) throw new Error(`ledger invariant: payer ${payer} has no balance to change`);
    const balance = current.balance + available;
    const h = (current.held ?? 0) + held;
    const p = (current.pending ?? 0) + pending;
    if (balance < 0 || h < 0 || p < 0) throw new Error(`ledger invariant: payer ${payer} would go negative`);
    next.set(payer, { balance, first: current.first, ...(h > 0 ? { held: h } : {}), ...(p > 0 ? { pending: p } : {}) });
  }
  return next;
}

/** A breakdown's entries as changes of one figure, scaled by `sign`. */
export const changesOf = (breakdown: Breakdown, field: 'available' | 'held' | 'pending', sign: 1 | -1 = 1): PayerChange[] =>
  breakdown.map(({ payer, points }) => ({ payer, [field]: sign * points }));

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
export function planTakes<L extends { payer: string; remaining: number }>(lots: readonly L[], points: number): Take<L>[] | null {
  const takes: Take<L>[] = [];
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
export function breakdownOf<L extends { payer: string; remaining: number }>(takes: readonly Take<L>[], sign: 1 | -1 = -1): Breakdown {
  const byPayer = new Map<string, number>();
  for (const { lot, take } of takes) byPayer.set(lot.payer, (byPayer.get(lot.payer) ?? 0) + take);
  return [...byPayer].map(([payer, points]) => ({ payer, points: sign * points }));
}

/** Balances after giving each payer its share of a breakdown (whose points are positive). */
export const creditBreakdown = (balances: ReadonlyMap<string, PayerBalance>, breakdown: Breakdown) => adjustBalances(balances, changesOf(breakdown, 'available'));

/** Balances after taking each payer's share of a breakdown (whose points are negative): the signs say which way. */
export const debitBreakdown = creditBreakdown;

/** Payers in the order /balance lists them: by their oldest lot. */
const byFirstLot = (account: Account) => [...account.balances].sort(([, a], [, b]) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));

/** Payers and balances in the order /balance lists them: by their oldest lot. */
export const balanceEntries = (account: Account): [string, number][] => byFirstLot(account).map(([payer, { balance }]) => [payer, balance]);

/** SPEC "Balance detail": each payer's available, held and pending points, in the same order. */
export const balanceDetail = (account: Account): [string, { available: number; held: number; pending: number }][] =>
  byFirstLot(account).map(([payer, b]) => [payer, { available: b.balance, held: b.held ?? 0, pending: b.pending ?? 0 }]);

/** SPEC "Expiry": a lot is expired from its expiresAt on (`now` is a sort key like expiryKey). */
export const isExpired = (lot: { expiryKey?: string }, now: string): boolean => lot.expiryKey !== undefined && lot.expiryKey <= now;

/** The earlier of two optional expiry keys. */
export const earliest = (a: string | undefined, b: string | undefined): string | undefined => (a === undefined ? b : b === undefined || a <= b ? a : b);

/** A spend's take as it remembers it: the take, and where it lies among all the spend's points. */
export interface PlacedTake extends Take {
  /** Position of the take's first point among the spend's points (0-based, in taking order). */
  start: number;
  /** Number of the stored chunk that holds it. */
  chunk: number;
}

/**
 * What a reversal gives back: the spend's points at positions [lo, hi), the last-taken first, so
 * that what stays spent is exactly a prefix of the spend, i.e. what a smaller spend would have
 * taken. `takes` are the spend's takes in taking order covering at least [lo, hi).
 */
export function givebacks(takes: readonly PlacedTake[], lo: number, hi: number): (Take & { chunk: number })[] {
  const given: (Take & { chunk: number })[] = [];
  for (let i = takes.length - 1; i >= 0; i--) {
    const { lot, take, start, chunk } = takes[i]!;
    const from = Math.max(start, lo);
    const to = Math.min(start + take, hi);
    if (to > from) given.push({ lot, take: to - from, chunk });
    if (start <= lo) break;
  }
  return given;
}

/** Whether every payer holds what a breakdown (negative points) takes from it. */
export const fitsBalances = (balances: ReadonlyMap<string, PayerBalance>, breakdown: Breakdown): boolean =>
  breakdown.every(({ payer, points }) => (balances.get(payer)?.balance ?? 0) + points >= 0);

export const sumTakes = (takes: readonly Take<{ payer: string; remaining: number }>[]): number => takes.reduce((n, t) => n + t.take, 0);
