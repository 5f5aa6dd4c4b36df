// A reference model of SPEC "The domain", written from the SPEC alone (not from lib/): lots
// ordered by (timestamp, arrival), spends walking every open lot oldest first, negative adds
// walking one payer's lots. Tests feed it the same inputs as the service and compare.

export interface ModelLot {
  arrival: number;
  payer: string;
  points: number;
  remaining: number;
  /** Milliseconds since the epoch (tests use at most millisecond fractions). */
  instant: number;
}

export type Breakdown = { payer: string; points: number }[];

/** A ledger item without the fields the service chooses (ids, a spend's recording time). */
export type ExpectedItem =
  | { type: 'add'; payer: string; points: number; timestamp: string; lot?: ModelLot }
  | { type: 'spend'; points: number; breakdown: Breakdown };

export type Refusal = { refused: 'INSUFFICIENT_POINTS' | 'INSUFFICIENT_PAYER_POINTS' };

export class FifoModel {
  readonly lots: ModelLot[] = [];
  readonly items: ExpectedItem[] = [];
  /** Every payer the user ever had, in first-seen order, with its balance. */
  readonly balances = new Map<string, number>();
  private arrivals = 0;

  get total(): number {
    let sum = 0;
    for (const b of this.balances.values()) sum += b;
    return sum;
  }

  /** Open lots oldest first: by instant, then by arrival. */
  private open(payer?: string): ModelLot[] {
    return this.lots
      .filter((lot) => lot.remaining > 0 && (payer === undefined || lot.payer === payer))
      .sort((a, b) => a.instant - b.instant || a.arrival - b.arrival);
  }

  private take(lots: ModelLot[], points: number): Breakdown {
    const byPayer = new Map<string, number>();
    let left = points;
    for (const lot of lots) {
      if (left === 0) break;
      const take = Math.min(lot.remaining, left);
      lot.remaining -= take;
      left -= take;
      byPayer.set(lot.payer, (byPayer.get(lot.payer) ?? 0) + take);
      this.balances.set(lot.payer, this.balances.get(lot.payer)! - take);
    }
    if (left !== 0) throw new Error('model: lots hold fewer points than the balances say');
    return [...byPayer].map(([payer, taken]) => ({ payer, points: -taken }));
  }

  /** `utc` is the timestamp as the service must return it (defaults to the input, already UTC). */
  add(payer: string, points: number, timestamp: string, utc = timestamp): ExpectedItem | Refusal {
    const instant = Date.parse(timestamp);
    if (Number.isNaN(instant)) throw new Error(`model: bad timestamp ${timestamp}`);
    if (points > 0) {
      const lot: ModelLot = { arrival: this.arrivals++, payer, points, remaining: points, instant };
      this.lots.push(lot);
      this.balances.set(payer, (this.balances.get(payer) ?? 0) + points);
      const item: ExpectedItem = { type: 'add', payer, points, timestamp: utc, lot };
      this.items.push(item);
      return item;
    }
    if ((this.balances.get(payer) ?? 0) < -points) return { refused: 'INSUFFICIENT_PAYER_POINTS' };
    this.arrivals++;
    this.take(this.open(payer), -points);
    const item: ExpectedItem = { type: 'add', payer, points, timestamp: utc };
    this.items.push(item);
    return item;
  }

  spend(points: number): Breakdown | Refusal {
    if (this.total < points) return { refused: 'INSUFFICIENT_POINTS' };
    this.arrivals++;
    const breakdown = this.take(this.open(), points);
    this.items.push({ type: 'spend', points: -points, breakdown });
    return breakdown;
  }

  /** The balance object SPEC's GET /balance must answer (compared without regard to key order). */
  balanceObject(): Record<string, number> {
    return Object.fromEntries(this.balances);
  }

  /**
   * The ledger as GET /transactions must list it, minus ids and spend timestamps: adds with the
   * current remaining of their lot (none for negative adds), spends with their breakdown.
   */
  ledger(): Record<string, unknown>[] {
    return this.items.map((item) => {
      if (item.type === 'spend') return { type: 'spend', points: item.points, breakdown: item.breakdown, reversed: 0 };
      const { lot, ...rest } = item;
      return lot ? { ...rest, remaining: lot.remaining } : { ...rest };
    });
  }
}

/** Drops the fields the service chooses, so a ledger can be compared with FifoModel.ledger(). */
export function comparable(items: readonly any[]): Record<string, unknown>[] {
  return items.map((item) => {
    const { id: _id, ...rest } = item;
    if (rest.type === 'spend') delete rest.timestamp;
    return rest;
  });
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` running at once. */
export async function inPool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
}

/** A whole-second UTC timestamp `seconds` after `base` (ISO, "Z", no fraction). */
export function isoAfter(base: string, seconds: number): string {
  return new Date(Date.parse(base) + seconds * 1000).toISOString().replace('.000Z', 'Z');
}
