// A reference model of SPEC "The domain" and "Expiry and reversal", written from the SPEC alone
// (not from lib/): lots ordered by (timestamp, arrival), spends walking every open lot oldest
// first, negative adds walking one payer's lots, lots expiring at their expiresAt, reversals
// giving back the last-taken points first. Time is an input: the model never reads the clock;
// an operation given `now` first records every expiry due by then. Tests feed it the same inputs
// as the service and compare.

export interface ModelLot {
  arrival: number;
  payer: string;
  points: number;
  remaining: number;
  /** Milliseconds since the epoch (tests use at most millisecond fractions). */
  instant: number;
  /** When the lot expires (epoch ms), if it does. */
  expiresAt?: number;
}

export type Breakdown = { payer: string; points: number }[];

/** One spend as the model remembers it: what it took from which lot, in the order taken. */
export interface ModelSpend {
  points: number;
  takes: { lot: ModelLot; kept: number }[];
  reversed: number;
}

/** A ledger item without the fields the service chooses (ids, recording times). */
export type ExpectedItem =
  | { type: 'add'; payer: string; points: number; timestamp: string; expiresAt?: string; lot?: ModelLot }
  | { type: 'spend'; points: number; breakdown: Breakdown; spend?: ModelSpend }
  | { type: 'expire'; payer: string; points: number; timestamp: string; lot: ModelLot }
  | { type: 'reversal'; points: number; breakdown: Breakdown; spend: ModelSpend };

export type Refusal = { refused: 'INSUFFICIENT_POINTS' | 'INSUFFICIENT_PAYER_POINTS' | 'EXCEEDS_SPEND' | 'NOT_FOUND' };

/** `now` (epoch ms): record every expiry due by then before the operation. */
export interface At {
  now?: number;
}

const utcOf = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Adds `points` to `payer`'s entry, keeping entries in first-seen order. */
function merge(byPayer: Map<string, number>, payer: string, points: number) {
  byPayer.set(payer, (byPayer.get(payer) ?? 0) + points);
}

export class FifoModel {
  readonly lots: ModelLot[] = [];
  readonly items: ExpectedItem[] = [];
  /** Every spend, in the order recorded; reverse() names one by its index here. */
  readonly spends: ModelSpend[] = [];
  /** Every payer the user ever had, in first-seen order, with its balance. */
  readonly balances = new Map<string, number>();
  /** The latest instant the model has been told about; time never goes back. */
  now = -Infinity;
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

  private take(lots: ModelLot[], points: number): { lot: ModelLot; kept: number }[] {
    const takes: { lot: ModelLot; kept: number }[] = [];
    let left = points;
    for (const lot of lots) {
      if (left === 0) break;
      const take = Math.min(lot.remaining, left);
      lot.remaining -= take;
      left -= take;
      this.balances.set(lot.payer, this.balances.get(lot.payer)! - take);
      takes.push({ lot, kept: take });
    }
    if (left !== 0) throw new Error('model: lots hold fewer points than the balances say');
    return takes;
  }

  /**
   * Advances the clock to `now` and expires every lot with points left whose expiresAt has
   * come, in expiresAt order (then order received); returns the expire items it recorded.
   */
  expire(now: number = this.now): ExpectedItem[] {
    this.now = Math.max(this.now, now);
    const due = this.lots
      .filter((lot) => lot.remaining > 0 && lot.expiresAt !== undefined && lot.expiresAt <= this.now)
      .sort((a, b) => a.expiresAt! - b.expiresAt! || a.arrival - b.arrival);
    return due.map((lot) => {
      const item: ExpectedItem = { type: 'expire', payer: lot.payer, points: -lot.remaining, timestamp: utcOf(lot.expiresAt!), lot };
      this.balances.set(lot.payer, this.balances.get(lot.payer)! - lot.remaining);
      lot.remaining = 0;
      this.items.push(item);
      return item;
    });
  }

  /**
   * `utc` is the timestamp as the service must return it (defaults to the input, already UTC);
   * `expiresAt` (positive adds only) is given as the service must return it, in UTC.
   */
  add(payer: string, points: number, timestamp: string, utc = timestamp, options: At & { expiresAt?: string } = {}): ExpectedItem | Refusal {
    const instant = Date.parse(timestamp);
    if (Number.isNaN(instant)) throw new Error(`model: bad timestamp ${timestamp}`);
    this.expire(options.now);
    if (points > 0) {
      const expiresAt = options.expiresAt === undefined ? undefined : Date.parse(options.expiresAt);
      if (expiresAt !== undefined && !(expiresAt > instant)) throw new Error(`model: expiresAt ${options.expiresAt} is not after ${timestamp}`);
      const lot: ModelLot = { arrival: this.arrivals++, payer, points, remaining: points, instant, ...(expiresAt !== undefined ? { expiresAt } : {}) };
      this.lots.push(lot);
      this.balances.set(payer, (this.balances.get(payer) ?? 0) + points);
      const item: ExpectedItem = { type: 'add', payer, points, timestamp: utc, ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}), lot };
      this.items.push(item);
      this.expire(); // an add whose expiresAt has already passed expires at once
      return item;
    }
    if (options.expiresAt !== undefined) throw new Error('model: expiresAt on a negative add');
    if ((this.balances.get(payer) ?? 0) < -points) return { refused: 'INSUFFICIENT_PAYER_POINTS' };
    this.arrivals++;
    this.take(this.open(payer), -points);
    const item: ExpectedItem = { type: 'add', payer, points, timestamp: utc };
    this.items.push(item);
    return item;
  }

  spend(points: number, at: At = {}): Breakdown | Refusal {
    this.expire(at.now);
    if (this.total < points) return { refused: 'INSUFFICIENT_POINTS' };
    this.arrivals++;
    const spend: ModelSpend = { points, takes: this.take(this.open(), points), reversed: 0 };
    const byPayer = new Map<string, number>();
    for (const { lot, kept } of spend.takes) merge(byPayer, lot.payer, -kept);
    const breakdown = [...byPayer].map(([payer, taken]) => ({ payer, points: taken }));
    this.spends.push(spend);
    this.items.push({ type: 'spend', points: -points, breakdown, spend });
    return breakdown;
  }

  /**
   * Reverses `points` (all not yet reversed when undefined) of the spend recorded `index`-th
   * (0-based): the last-taken points go back first, into the lots they came from; points
   * returned to an expired lot expire at once. Returns the reversal's breakdown.
   */
  reverse(index: number, points?: number, at: At = {}): Breakdown | Refusal {
    this.expire(at.now);
    const spend = this.spends[index];
    if (!spend) return { refused: 'NOT_FOUND' };
    const unreversed = spend.points - spend.reversed;
    const n = points ?? unreversed;
    if (n > unreversed || n === 0) return { refused: 'EXCEEDS_SPEND' };
    const byPayer = new Map<string, number>();
    let left = n;
    for (let i = spend.takes.length - 1; i >= 0 && left > 0; i--) {
      const take = spend.takes[i]!;
      const give = Math.min(take.kept, left);
      if (give === 0) continue;
      take.kept -= give;
      take.lot.remaining += give;
      left -= give;
      this.balances.set(take.lot.payer, this.balances.get(take.lot.payer)! + give);
      merge(byPayer, take.lot.payer, give);
    }
    spend.reversed += n;
    this.arrivals++;
    const breakdown = [...byPayer].map(([payer, given]) => ({ payer, points: given }));
    this.items.push({ type: 'reversal', points: n, breakdown, spend });
    this.expire();
    return breakdown;
  }

  /** What `reverse` would refuse or give back, without changing anything (for a race's legal outcomes). */
  unreversed(index: number): number {
    const spend = this.spends[index];
    return spend ? spend.points - spend.reversed : 0;
  }

  /** The balance object SPEC's GET /balance must answer (compared without regard to key order). */
  balanceObject(): Record<string, number> {
    return Object.fromEntries(this.balances);
  }

  /**
   * The ledger as GET /transactions must list it, minus ids and recording times: adds with the
   * current remaining of their lot (none for negative adds), spends with their breakdown and
   * what is reversed so far, expires and reversals. An item's reference to another (an expire's
   * `lot`, a reversal's `spend`) is written `#i`, i being the referenced item's position.
   */
  ledger(): Record<string, unknown>[] {
    const positionOf = (target: unknown) => `#${this.items.findIndex((item) => ('lot' in item && item.type === 'add' ? item.lot : item.type === 'spend' ? item.spend : undefined) === target)}`;
    return this.items.map((item) => {
      switch (item.type) {
        case 'spend':
          return { type: 'spend', points: item.points, breakdown: item.breakdown, reversed: item.spend?.reversed ?? 0 };
        case 'expire':
          return { type: 'expire', payer: item.payer, points: item.points, timestamp: item.timestamp, lot: positionOf(item.lot) };
        case 'reversal':
          return { type: 'reversal', spend: positionOf(item.spend), points: item.points, breakdown: item.breakdown };
        default: {
          const { lot, ...rest } = item;
          return lot ? { ...rest, remaining: lot.remaining } : { ...rest };
        }
      }
    });
  }
}

/**
 * Drops the fields the service chooses (ids, recording times of spends and reversals) and
 * writes references to other items (`lot`, `spend`) as `#i`, so that a ledger can be compared
 * with FifoModel.ledger().
 */
export function comparable(items: readonly any[]): Record<string, unknown>[] {
  const position = new Map(items.map((item, i) => [item.id, `#${i}`]));
  return items.map((item) => {
    const { id: _id, ...rest } = item;
    if (rest.type === 'spend' || rest.type === 'reversal') delete rest.timestamp;
    if (rest.type === 'expire' && position.has(rest.lot)) rest.lot = position.get(rest.lot);
    if (rest.type === 'reversal' && position.has(rest.spend)) rest.spend = position.get(rest.spend);
    return rest;
  });
}

/**
 * Feeds a recorded ledger, in the order recorded, through the model: every spend and reversal
 * at its recorded time (so every expiry due by then must already be in the ledger), every
 * expire at its timestamp. Throws at the first answer the model does not give; the caller then
 * compares comparable(items) with the returned model's ledger(), which checks every expire item
 * is where SPEC puts it and every lot's remaining.
 */
export function replayLedger(items: readonly any[]): FifoModel {
  const model = new FifoModel();
  const spendIndex = new Map<string, number>();
  const fail = (i: number, what: string, got: unknown, want: unknown) => {
    throw new Error(`replay: item #${i} (${what}) is ${JSON.stringify(got)}, the model says ${JSON.stringify(want)}`);
  };
  items.forEach((item, i) => {
    const now = Date.parse(item.timestamp);
    if (item.type === 'add') {
      const answer = model.add(item.payer, item.points, item.timestamp, item.timestamp, item.expiresAt === undefined ? {} : { expiresAt: item.expiresAt });
      if ('refused' in answer) fail(i, 'add', item, answer);
    } else if (item.type === 'spend') {
      spendIndex.set(item.id, model.spends.length);
      const answer = model.spend(-item.points, { now });
      if (JSON.stringify(answer) !== JSON.stringify(item.breakdown)) fail(i, `spend of ${-item.points}`, item.breakdown, answer);
    } else if (item.type === 'reversal') {
      const answer = model.reverse(spendIndex.get(item.spend) ?? -1, item.points, { now });
      if (JSON.stringify(answer) !== JSON.stringify(item.breakdown)) fail(i, `reversal of ${item.points}`, item.breakdown, answer);
    } else if (item.type === 'expire') {
      model.expire(now);
    } else fail(i, 'type', item.type, 'add, spend, reversal or expire');
    for (const [payer, n] of model.balances) if (n < 0) fail(i, `balance of ${payer}`, n, '>= 0');
  });
  return model;
}

/** Each payer's balance as the sum of the ledger: adds, spends, expires and reversals. */
export function ledgerSums(items: readonly any[]): Record<string, number> {
  const sums = new Map<string, number>();
  for (const item of items) {
    if (item.type === 'add' || item.type === 'expire') merge(sums, item.payer, item.points);
    else for (const { payer, points } of item.breakdown) merge(sums, payer, points);
  }
  return Object.fromEntries(sums);
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
