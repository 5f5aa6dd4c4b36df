// Ledgers for the benchmark, built in memory with the domain's own rules (lib/domain/ledger.ts) and
// bulk-loaded by ./import-ledger.ts: the items are the ones the service would have written, only
// much faster to produce than N requests.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newId } from '../../lib/domain/ids.js';
import { breakdownOf, creditPayer, debitBreakdown, emptyAccount, lotOrderKey, planTakes, type Account, type OpenLot } from '../../lib/domain/ledger.js';
import type { AddItem, LedgerItem } from '../../lib/domain/schemas/responses.js';
import type { NewRecord } from '../../lib/domain/commit.js';
import { parseTimestamp, type Instant } from '../../lib/domain/timestamp.js';
import { importLedger } from './import-ledger.js';

export type Op = { type: 'add'; payer: string; points: number; timestamp: string } | { type: 'spend'; points: number; timestamp: string };

function instantOf(timestamp: string): Instant {
  const instant = parseTimestamp(timestamp);
  if ('error' in instant) throw new Error(`history: ${instant.error}`);
  return instant;
}

interface SimLot extends OpenLot {
  item: AddItem;
}

/** The final account and records after applying `ops` in order, as the service would. */
export class LedgerBuilder {
  account: Account = emptyAccount();
  readonly records: NewRecord[] = [];
  /** Open lots in (timestamp, arrival) order. */
  readonly open: SimLot[] = [];

  apply(op: Op): void {
    const seq = this.account.seq + 1;
    if (op.type === 'add' && op.points > 0) {
      const instant = instantOf(op.timestamp);
      const key = lotOrderKey(instant.sortKey, seq);
      const item: AddItem = { id: newId(seq), type: 'add', payer: op.payer, points: op.points, timestamp: instant.utc, remaining: op.points };
      const balances = creditPayer(this.account, op.payer, op.points, key);
      this.account = { ...this.account, version: seq, seq, total: this.account.total + op.points, balances };
      this.records.push({ seq, item, lot: { orderKey: key } });
      let at = this.open.length; // usually the newest: search from the end
      while (at > 0 && this.open[at - 1]!.orderKey > key) at--;
      this.open.splice(at, 0, { seq, id: item.id, payer: op.payer, remaining: op.points, orderKey: key, item });
      return;
    }
    const points = Math.abs(op.points);
    const payer = op.type === 'add' ? op.payer : undefined;
    const candidates = payer === undefined ? this.open : this.open.filter((lot) => lot.payer === payer);
    const takes = planTakes(candidates, points);
    if (!takes) throw new Error(`history: cannot take ${points} points`);
    for (const { lot, take } of takes) {
      lot.remaining -= take;
      (lot as SimLot).item.remaining = lot.remaining; // the lot record's final `remaining`
    }
    const breakdown = breakdownOf(takes);
    const item: LedgerItem =
      op.type === 'add'
        ? { id: newId(seq), type: 'add', payer: op.payer, points: op.points, timestamp: instantOf(op.timestamp).utc }
        : { id: newId(seq), type: 'spend', points: -points, timestamp: op.timestamp, breakdown, reversed: 0 };
    this.account = { ...this.account, version: seq, seq, total: this.account.total - points, balances: debitBreakdown(this.account.balances, breakdown) };
    this.records.push({ seq, item });
    for (let i = this.open.length - 1; i >= 0; i--) if (this.open[i]!.remaining === 0) this.open.splice(i, 1);
  }

  /** Writes the ledger under `userId`, who must not exist yet. */
  load(db: DynamoDBDocumentClient, table: string, userId: string, concurrency?: number): Promise<void> {
    return importLedger(db, table, userId, this.account, this.records, concurrency);
  }
}

/** A small deterministic PRNG (mulberry32), so every run loads the same shape of history. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const PAYERS = ['DANNON', 'UNILEVER', 'MILLER COORS', 'KRAFT HEINZ', 'NESTLÉ', 'PEPSICO'];

/**
 * A realistic history of exactly `size` transactions: adds of 50-950 points from six payers
 * (one in ten backdated up to three days), spends that keep about `targetOpen` lots open (so
 * most lots end fully consumed, some partly), and an occasional negative add.
 */
export function realisticHistory(size: number, seed = size, targetOpen = 40): LedgerBuilder {
  const rnd = random(seed);
  const builder = new LedgerBuilder();
  let clock = Date.UTC(2015, 0, 1);
  const iso = (ms: number) => new Date(ms).toISOString();
  while (builder.account.seq < size) {
    clock += 60_000 + Math.floor(rnd() * 3_600_000);
    const roll = rnd();
    if (builder.open.length < targetOpen || roll < 0.45) {
      const backdate = rnd() < 0.1 ? Math.floor(rnd() * 3 * 86_400_000) : 0;
      builder.apply({ type: 'add', payer: PAYERS[Math.floor(rnd() * PAYERS.length)]!, points: 50 + Math.floor(rnd() * 900), timestamp: iso(clock - backdate) });
    } else if (roll < 0.5) {
      const payers = [...builder.account.balances].filter(([, b]) => b.balance > 0);
      if (payers.length === 0) continue;
      const [payer, { balance }] = payers[Math.floor(rnd() * payers.length)]!;
      builder.apply({ type: 'add', payer, points: -(1 + Math.floor(rnd() * Math.min(balance, 300))), timestamp: iso(clock) });
    } else {
      const points = Math.min(builder.account.total, 100 + Math.floor(rnd() * 1100));
      if (points > 0) builder.apply({ type: 'spend', points, timestamp: iso(clock) });
    }
  }
  return builder;
}

/** `lots` open lots of `pointsEach`, from `payers` payers in turn, one minute apart. */
export function lotsHistory(lots: number, pointsEach: number, payers: number): LedgerBuilder {
  const builder = new LedgerBuilder();
  const start = Date.UTC(2020, 0, 1);
  for (let i = 0; i < lots; i++) {
    builder.apply({ type: 'add', payer: PAYERS[i % payers]!, points: pointsEach, timestamp: new Date(start + i * 60_000).toISOString() });
  }
  return builder;
}
