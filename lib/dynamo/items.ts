// How domain values are stored as DynamoDB items, and read back (lib/dynamo/table.ts has the keys).
import type { Account, OpenLot, PayerBalance, PlacedTake, Take } from '../domain/ledger.js';
import type { LedgerItem } from '../domain/schemas/responses.js';
import type { IdempotencyRecord, NewRecord, TakeChunk } from '../domain/commit.js';
import { expiryIndexKey, expiryKeyOf, payerPrefix, seqOfSk } from './table.js';

export type AnyRecord = Record<string, unknown>;

export interface AccountItem {
  ver: number;
  seq: number;
  total: number;
  /** [payer, balance, order key of oldest lot]: a list, because map keys could be "__proto__". */
  bal: [string, number, string][];
  pend?: Account['pending'];
  nx?: string;
}

export const storedBalances = (balances: ReadonlyMap<string, PayerBalance>): AccountItem['bal'] =>
  [...balances].map(([payer, { balance, first }]) => [payer, balance, first]);

export function toAccount(item: AccountItem | undefined): Account {
  if (!item) return { version: 0, seq: 0, total: 0, balances: new Map() };
  return {
    version: item.ver,
    seq: item.seq,
    total: item.total,
    balances: new Map(item.bal.map(([payer, balance, first]): [string, PayerBalance] => [payer, { balance, first }])),
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

/** A ledger record's attributes; an open lot also carries its index keys. */
export function storedRecord({ seq, item, lot }: NewRecord): AnyRecord {
  const base = { id: item.id, type: item.type, points: item.points, ts: item.timestamp };
  switch (item.type) {
    case 'spend':
      return { ...base, breakdown: item.breakdown, ...(item.reversed ? { rev: item.reversed } : {}) };
    case 'expire':
      return { ...base, payer: item.payer, lot: item.lot };
    case 'reversal':
      return { ...base, spend: item.spend, breakdown: item.breakdown };
    case 'add': {
      const open = lot !== undefined && (item.remaining ?? 0) > 0;
      return {
        ...base,
        payer: item.payer,
        ...(item.remaining !== undefined ? { rem: item.remaining } : {}),
        ...(item.expiresAt !== undefined ? { exp: item.expiresAt } : {}),
        ...(open ? { o: lot.orderKey, po: payerPrefix(item.payer) + lot.orderKey } : {}),
        ...(open && lot.expiryKey !== undefined ? { x: expiryIndexKey(lot.expiryKey, seq) } : {}),
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
      return { id, type: 'spend', points, timestamp, breakdown: row.breakdown as Breakdown, reversed: (row.rev as number | undefined) ?? 0 };
    case 'expire':
      return { id, type: 'expire', payer: row.payer as string, points, timestamp, lot: row.lot as string };
    case 'reversal':
      return { id, type: 'reversal', spend: row.spend as string, points, timestamp, breakdown: row.breakdown as Breakdown };
    default:
      return {
        id,
        type: 'add',
        payer: row.payer as string,
        points,
        timestamp,
        ...(row.rem !== undefined ? { remaining: row.rem as number } : {}),
        ...(row.exp !== undefined ? { expiresAt: row.exp as string } : {}),
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
