// How domain values are stored as DynamoDB items, and read back (lib/dynamo/table.ts has the keys).
import { lotOrderKey, type Account, type OpenLot, type PayerBalance, type PlacedTake, type Take } from '../domain/ledger.js';
import type { HoldItem, HoldStatus, LedgerItem } from '../domain/schemas/responses.js';
import { parseTimestamp } from '../domain/timestamp.js';
import type { DueItem } from '../service/store.js';
import type { IdempotencyRecord, NewRecord, TakeChunk } from '../domain/commit.js';
import { expiryIndexKey, expiryKeyOf, payerPrefix, seqOfSk } from './table.js';

export type AnyRecord = Record<string, unknown>;

export interface AccountItem {
  ver: number;
  seq: number;
  total: number;
  /**
   * [payer, balance, order key of oldest lot, held, pending] (the last two only when not both 0):
   * a list, because map keys could be "__proto__".
   */
  bal: ([string, number, string] | [string, number, string, number, number])[];
  pend?: Account['pending'];
  nx?: string;
}

export const storedBalances = (balances: ReadonlyMap<string, PayerBalance>): AccountItem['bal'] =>
  [...balances].map(([payer, { balance, first, held, pending }]) => (held || pending ? [payer, balance, first, held ?? 0, pending ?? 0] : [payer, balance, first]));

export function toAccount(item: AccountItem | undefined): Account {
  if (!item) return { version: 0, seq: 0, total: 0, balances: new Map() };
  return {
    version: item.ver,
    seq: item.seq,
    total: item.total,
    balances: new Map(
      item.bal.map(([payer, balance, first, held, pending]): [string, PayerBalance] => [payer, { balance, first, ...(held ? { held } : {}), ...(pending ? { pending } : {}) }]),
    ),
    ...(item.pend ? { pending: item.pend } : {}),
    ...(item.nx ? { nextExpiry: item.nx } : {}),
  };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function toIdempotency(item: AnyRecord): IdempotencyRecord | undefined {
  if ((item.expiresAt as number) < nowSeconds()) return undefined;
  const { fp, status, body, expiresAt } = item as { fp: string; status: number; body: string; expiresAt: number };
  return { key: (item.sk as string).slice(2), fingerprint: fp, status, body, expiresAt };
}

/** A ledger record's attributes; an open lot, a pending lot and an open hold also carry index keys. */
export function storedRecord({ seq, item, lot, holdExpiryKey }: NewRecord): AnyRecord {
  const base = { id: item.id, type: item.type, points: item.points, ts: item.timestamp };
  switch (item.type) {
    case 'spend':
      return { ...base, breakdown: item.breakdown, ...(item.reversed ? { rev: item.reversed } : {}), ...(item.hold !== undefined ? { hold: item.hold } : {}) };
    case 'expire':
      return { ...base, payer: item.payer, lot: item.lot };
    case 'reversal':
      return { ...base, spend: item.spend, breakdown: item.breakdown };
    case 'hold':
      return { ...base, exp: item.expiresAt, breakdown: item.breakdown, st: item.status, cap: item.captured, ...(holdExpiryKey !== undefined ? { x: expiryIndexKey(holdExpiryKey, seq) } : {}) };
    case 'release':
      return { ...base, hold: item.hold, breakdown: item.breakdown, ...(item.expired ? { ex: true } : {}) };
    case 'add': {
      const open = lot !== undefined && (item.remaining ?? 0) > 0;
      const pending = open && lot.availableKey !== undefined;
      const dueKey = pending ? lot.availableKey : open ? lot.expiryKey : undefined;
      return {
        ...base,
        payer: item.payer,
        ...(item.remaining !== undefined ? { rem: item.remaining } : {}),
        ...(item.expiresAt !== undefined ? { exp: item.expiresAt } : {}),
        ...(item.availableAt !== undefined ? { av: item.availableAt } : {}),
        ...(open && !pending ? { o: lot.orderKey, po: payerPrefix(item.payer) + lot.orderKey } : {}),
        ...(dueKey !== undefined ? { x: expiryIndexKey(dueKey, seq) } : {}),
      };
    }
  }
}

export function ledgerItemOf(row: AnyRecord): LedgerItem {
  // Fields in SPEC's order ("id", "type", then the type's own), as clients read them.
  const id = row.id as string;
  const points = row.points as number;
  const timestamp = row.ts as string;
  type Breakdown = { payer: string; points: number }[];
  switch (row.type) {
    case 'spend':
      return {
        id,
        type: 'spend',
        points,
        timestamp,
        breakdown: row.breakdown as Breakdown,
        reversed: (row.rev as number | undefined) ?? 0,
        ...(row.hold !== undefined ? { hold: row.hold as string } : {}),
      };
    case 'expire':
      return { id, type: 'expire', payer: row.payer as string, points, timestamp, lot: row.lot as string };
    case 'reversal':
      return { id, type: 'reversal', spend: row.spend as string, points, timestamp, breakdown: row.breakdown as Breakdown };
    case 'hold':
      return { id, type: 'hold', points, timestamp, expiresAt: row.exp as string, breakdown: row.breakdown as Breakdown, status: row.st as HoldStatus, captured: row.cap as number };
    case 'release':
      return { id, type: 'release', hold: row.hold as string, points, timestamp, breakdown: row.breakdown as Breakdown, ...(row.ex ? { expired: true as const } : {}) };
    default:
      return {
        id,
        type: 'add',
        payer: row.payer as string,
        points,
        timestamp,
        ...(row.rem !== undefined ? { remaining: row.rem as number } : {}),
        ...(row.exp !== undefined ? { expiresAt: row.exp as string } : {}),
        ...(row.av !== undefined ? { availableAt: row.av as string } : {}),
      };
  }
}

/** An open lot from one of the lot indexes. */
export function openLotOf(row: AnyRecord): OpenLot {
  return {
    seq: seqOfSk(row.sk as string),
    id: row.id as string,
    payer: row.payer as string,
    remaining: row.rem as number,
    orderKey: row.o as string,
    ...(row.x !== undefined ? { expiryKey: expiryKeyOf(row.x as string), expiresAt: row.exp as string } : {}),
  };
}

const sortKeyOf = (utc: string) => {
  const instant = parseTimestamp(utc);
  if ('error' in instant) throw new Error(`stored timestamp ${utc}: ${instant.error}`);
  return instant.sortKey;
};

/** A record of the `expiring` index (read with all its attributes): what falls due, and when. */
export function dueItemOf(row: AnyRecord): DueItem {
  const key = expiryKeyOf(row.x as string);
  const seq = seqOfSk(row.sk as string);
  if (row.type === 'hold') return { kind: 'hold', key, seq, item: ledgerItemOf(row) as HoldItem };
  if (row.o !== undefined) return { kind: 'expiry', key, lot: openLotOf(row) };
  // A pending lot: its order and expiry keys as an open lot will have them.
  const exp = row.exp as string | undefined;
  const lot: OpenLot = {
    seq,
    id: row.id as string,
    payer: row.payer as string,
    remaining: row.rem as number,
    orderKey: lotOrderKey(sortKeyOf(row.ts as string), seq),
    ...(exp !== undefined ? { expiryKey: sortKeyOf(exp), expiresAt: exp } : {}),
  };
  return { kind: 'available', key, lot };
}

/** A take as a chunk stores it: the lot's identity as a reversal needs it, and the points taken. */
type StoredTake = [seq: number, take: number, id: string, payer: string, orderKey: string, expiryKey: string | null, expiresAt: string | null];

export const storedTakes = (takes: readonly Take[]): StoredTake[] =>
  takes.map(({ lot, take }) => [lot.seq, take, lot.id, lot.payer, lot.orderKey, lot.expiryKey ?? null, lot.expiresAt ?? null]);

export function placedTakesOf(chunk: AnyRecord): PlacedTake[] {
  let start = chunk.start as number;
  const number = Number((chunk.sk as string).slice(-6));
  return (chunk.t as StoredTake[]).map(([seq, take, id, payer, orderKey, expiryKey, expiresAt]) => {
    const lot: OpenLot = { seq, id, payer, orderKey, remaining: 0, ...(expiryKey !== null ? { expiryKey, expiresAt: expiresAt! } : {}) };
    const placed = { lot, take, start, chunk: number };
    start += take;
    return placed;
  });
}

export const storedChunk = (chunk: TakeChunk): AnyRecord => ({ start: chunk.start, t: storedTakes(chunk.takes) });
