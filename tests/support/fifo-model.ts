// A reference model of SPEC "The domain", "Expiry and reversal" and "Holds and pending points",
// written from the SPEC alone (not from lib/): lots ordered by (timestamp, arrival), spends and
// holds walking every available open lot oldest first, negative adds walking one payer's lots,
// lots expiring at their expiresAt, pending lots becoming available at their availableAt, holds
// expiring at theirs, reversals and releases giving back the last-taken points first. Time is an
// input: the model never reads the clock; an operation given `now` first records everything due
// by then, earliest first (equal instants in the order received). Tests feed it the same inputs
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
  /** When a lot added pending becomes available (epoch ms); `pending` while it has not. */
  availableAt?: number;
  pending?: boolean;
}

export type Breakdown = { payer: string; points: number }[];

/** One spend as the model remembers it: what it took from which lot, in the order taken. */
export interface ModelSpend {
  points: number;
  takes: { lot: ModelLot; kept: number }[];
  reversed: number;
  /** The hold it captured, for a capture. */
  hold?: ModelHold;
}

export type HoldStatus = 'held' | 'captured' | 'released' | 'expired';

/** One hold as the model remembers it: what it took from which lot, in the order taken. */
export interface ModelHold {
  arrival: number;
  points: number;
  takes: { lot: ModelLot; kept: number }[];
  /** Epoch ms, and as the service returns it. */
  expiresAt: number;
  expiresAtUtc: string;
  status: HoldStatus;
  captured: number;
}

/** A ledger item without the fields the service chooses (ids, recording times). */
export type ExpectedItem =
  | { type: 'add'; payer: string; points: number; timestamp: string; expiresAt?: string; availableAt?: string; lot?: ModelLot }
  | { type: 'spend'; points: number; breakdown: Breakdown; spend?: ModelSpend }
  | { type: 'expire'; payer: string; points: number; timestamp: string; lot: ModelLot }
  | { type: 'reversal'; points: number; breakdown: Breakdown; spend: ModelSpend }
  | { type: 'hold'; points: number; breakdown: Breakdown; hold: ModelHold }
  | { type: 'release'; points: number; breakdown: Breakdown; hold: ModelHold; expired?: true; timestamp?: string };

export type Refusal = { refused: 'INSUFFICIENT_POINTS' | 'INSUFFICIENT_PAYER_POINTS' | 'EXCEEDS_SPEND' | 'NOT_FOUND' | 'EXCEEDS_HOLD' | 'HOLD_NOT_ACTIVE' };

/** `now` (epoch ms): record every expiry due by then before the operation. */
export interface At {
  now?: number;
}

const utcOf = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const breakdownOf = (byPayer: Map<string, number>): Breakdown => [...byPayer].map(([payer, points]) => ({ payer, points }));

/** One negative entry per payer of what takes took, in the order first drawn on. */
function takenBreakdown(takes: { lot: ModelLot; kept: number }[]): Breakdown {
  const byPayer = new Map<string, number>();
  for (const { lot, kept } of takes) merge(byPayer, lot.payer, -kept);
  return breakdownOf(byPayer);
}

/** Adds `points` to `payer`'s entry, keeping entries in first-seen order. */
function merge(byPayer: Map<string, number>, payer: string, points: number) {
  byPayer.set(payer, (byPayer.get(payer) ?? 0) + points);
}

export class FifoModel {
  readonly lots: ModelLot[] = [];
  readonly items: ExpectedItem[] = [];
  /** Every spend, in the order recorded; reverse() names one by its index here. */
  readonly spends: ModelSpend[] = [];
  /** Every hold, in the order recorded; capture() and release() name one by its index here. */
  readonly holds: ModelHold[] = [];
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

  /** Open available lots oldest first: by instant, then by arrival. */
  private open(payer?: string): ModelLot[] {
    return this.lots
      .filter((lot) => lot.remaining > 0 && !lot.pending && (payer === undefined || lot.payer === payer))
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
   * Advances the clock to `now` and records everything due by then, earliest first (equal
   * instants in the order received): lots with points left expire, pending lots become
   * available, holds still held are released by themselves. Returns the items it recorded.
   */
  expire(now: number = this.now): ExpectedItem[] {
    this.now = Math.max(this.now, now);
    const recorded = this.items.length;
    for (;;) {
      const due: { at: number; arrival: number; run: () => void }[] = [];
      for (const lot of this.lots) {
        if (lot.pending && lot.availableAt! <= this.now) due.push({ at: lot.availableAt!, arrival: lot.arrival, run: () => this.makeAvailable(lot) });
        else if (!lot.pending && lot.remaining > 0 && lot.expiresAt !== undefined && lot.expiresAt <= this.now) {
          due.push({ at: lot.expiresAt, arrival: lot.arrival, run: () => this.expireLot(lot, lot.remaining) });
        }
      }
      for (const hold of this.holds) {
        if (hold.status === 'held' && hold.expiresAt <= this.now) due.push({ at: hold.expiresAt, arrival: hold.arrival, run: () => this.giveBackHold(hold, 0, hold.expiresAt, 'expired') });
      }
      if (due.length === 0) return this.items.slice(recorded);
      due.sort((a, b) => a.at - b.at || a.arrival - b.arrival)[0]!.run();
    }
  }

  private makeAvailable(lot: ModelLot) {
    lot.pending = false;
    this.balances.set(lot.payer, this.balances.get(lot.payer)! + lot.remaining);
  }

  private expireLot(lot: ModelLot, points: number) {
    this.balances.set(lot.payer, this.balances.get(lot.payer)! - points);
    lot.remaining -= points;
    this.items.push({ type: 'expire', payer: lot.payer, points: -points, timestamp: utcOf(lot.expiresAt!), lot });
  }

  /**
   * Gives back the last-taken `points` of `takes` into their lots; returns the breakdown and the
   * lots given to, in the order given back (the newest taken first).
   */
  private giveBack(takes: { lot: ModelLot; kept: number }[], points: number) {
    const byPayer = new Map<string, number>();
    const given: { lot: ModelLot; give: number }[] = [];
    let left = points;
    for (let i = takes.length - 1; i >= 0 && left > 0; i--) {
      const take = takes[i]!;
      const give = Math.min(take.kept, left);
      if (give === 0) continue;
      take.kept -= give;
      take.lot.remaining += give;
      left -= give;
      this.balances.set(take.lot.payer, this.balances.get(take.lot.payer)! + give);
      merge(byPayer, take.lot.payer, give);
      given.push({ lot: take.lot, give });
    }
    return { breakdown: breakdownOf(byPayer), given };
  }

  /** Points given back to a lot expired by `at` expire at once, right after the item that gave them. */
  private expireGiven(given: { lot: ModelLot; give: number }[], at: number) {
    for (const { lot, give } of given) if (lot.expiresAt !== undefined && lot.expiresAt <= at) this.expireLot(lot, give);
  }

  /** Releases what a hold kept beyond its first `from` points, at `at`; the hold becomes `status`. */
  private giveBackHold(hold: ModelHold, from: number, at: number, status: Exclude<HoldStatus, 'held'>): Breakdown {
    const { breakdown, given } = this.giveBack(hold.takes, hold.points - from);
    hold.status = status;
    if (given.length > 0) {
      this.items.push({ type: 'release', points: hold.points - from, breakdown, hold, ...(status === 'expired' ? { expired: true as const, timestamp: hold.expiresAtUtc } : {}) });
    }
    this.expireGiven(given, at);
    return breakdown;
  }

  /**
   * `utc` is the timestamp as the service must return it (defaults to the input, already UTC);
   * `expiresAt` (positive adds only) is given as the service must return it, in UTC.
   */
  /** `pending` says whether an add with availableAt is pending, when the caller knows better than the model's clock (a replay). */
  add(payer: string, points: number, timestamp: string, utc = timestamp, options: At & { expiresAt?: string; availableAt?: string; pending?: boolean } = {}): ExpectedItem | Refusal {
    const instant = Date.parse(timestamp);
    if (Number.isNaN(instant)) throw new Error(`model: bad timestamp ${timestamp}`);
    this.expire(options.now);
    if (points > 0) {
      const expiresAt = options.expiresAt === undefined ? undefined : Date.parse(options.expiresAt);
      if (expiresAt !== undefined && !(expiresAt > instant)) throw new Error(`model: expiresAt ${options.expiresAt} is not after ${timestamp}`);
      const availableAt = options.availableAt === undefined ? undefined : Date.parse(options.availableAt);
      const pending = availableAt !== undefined && (options.pending ?? availableAt > this.now);
      const lot: ModelLot = { arrival: this.arrivals++, payer, points, remaining: points, instant, ...(expiresAt !== undefined ? { expiresAt } : {}), ...(availableAt !== undefined ? { availableAt, pending } : {}) };
      this.lots.push(lot);
      this.balances.set(payer, (this.balances.get(payer) ?? 0) + (pending ? 0 : points));
      const item: ExpectedItem = {
        type: 'add',
        payer,
        points,
        timestamp: utc,
        ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
        ...(options.availableAt !== undefined ? { availableAt: options.availableAt } : {}),
        lot,
      };
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
    const breakdown = takenBreakdown(spend.takes);
    this.spends.push(spend);
    this.items.push({ type: 'spend', points: -points, breakdown, spend });
    return breakdown;
  }

  /**
   * Holds `points`, taken exactly as a spend would, until `expiresAt` (as the service returns it;
   * default 7 days after now, with milliseconds as the service's clock gives them).
   */
  hold(points: number, options: At & { expiresAt?: string } = {}): Extract<ExpectedItem, { type: 'hold' }> | Refusal {
    this.expire(options.now);
    if (this.total < points) return { refused: 'INSUFFICIENT_POINTS' };
    const expiresAtUtc = options.expiresAt ?? new Date(this.now + 7 * 86_400_000).toISOString();
    const takes = this.take(this.open(), points);
    const hold: ModelHold = { arrival: this.arrivals++, points, takes, expiresAt: Date.parse(expiresAtUtc), expiresAtUtc, status: 'held', captured: 0 };
    this.holds.push(hold);
    const item = { type: 'hold' as const, points: -points, breakdown: takenBreakdown(takes), hold };
    this.items.push(item);
    return item;
  }

  private heldHold(index: number): ModelHold | Refusal {
    const hold = this.holds[index];
    if (!hold) return { refused: 'NOT_FOUND' };
    if (hold.status !== 'held') return { refused: 'HOLD_NOT_ACTIVE' };
    return hold;
  }

  /** Captures `points` (all when undefined) of the `index`-th hold: a spend of its first points; the rest is released. */
  capture(index: number, points?: number, at: At = {}): Breakdown | Refusal {
    this.expire(at.now);
    const hold = this.heldHold(index);
    if ('refused' in hold) return hold;
    const m = points ?? hold.points;
    if (m > hold.points) return { refused: 'EXCEEDS_HOLD' };
    this.arrivals++;
    const takes: { lot: ModelLot; kept: number }[] = [];
    let left = m;
    for (const take of hold.takes) {
      if (left === 0) break;
      const kept = Math.min(take.kept, left);
      takes.push({ lot: take.lot, kept });
      left -= kept;
    }
    const spend: ModelSpend = { points: m, takes, reversed: 0, hold };
    const breakdown = takenBreakdown(takes);
    this.spends.push(spend);
    this.items.push({ type: 'spend', points: -m, breakdown, spend });
    hold.captured = m;
    this.giveBackHold(hold, m, this.now, 'captured');
    return breakdown;
  }

  /** Releases the `index`-th hold: everything back into its lots. */
  release(index: number, at: At = {}): Breakdown | Refusal {
    this.expire(at.now);
    const hold = this.heldHold(index);
    if ('refused' in hold) return hold;
    this.arrivals++;
    return this.giveBackHold(hold, 0, this.now, 'released');
  }

  /** SPEC "Balance detail": each payer's available, held and pending points. */
  detail(): Record<string, { available: number; held: number; pending: number }> {
    const detail = Object.fromEntries([...this.balances].map(([payer, available]) => [payer, { available, held: 0, pending: 0 }]));
    for (const hold of this.holds) if (hold.status === 'held') for (const { lot, kept } of hold.takes) detail[lot.payer]!.held += kept;
    for (const lot of this.lots) if (lot.pending) detail[lot.payer]!.pending += lot.remaining;
    return detail;
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
    const { breakdown, given } = this.giveBack(spend.takes, n);
    spend.reversed += n;
    this.arrivals++;
    this.items.push({ type: 'reversal', points: n, breakdown, spend });
    this.expireGiven(given, this.now);
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
    const positionOf = (target: unknown) =>
      `#${this.items.findIndex((item) => (item.type === 'add' ? item.lot : item.type === 'spend' ? item.spend : item.type === 'hold' ? item.hold : undefined) === target)}`;
    return this.items.map((item) => {
      switch (item.type) {
        case 'spend':
          return {
            type: 'spend',
            points: item.points,
            breakdown: item.breakdown,
            reversed: item.spend?.reversed ?? 0,
            ...(item.spend?.hold ? { hold: positionOf(item.spend.hold) } : {}),
          };
        case 'hold':
          return { type: 'hold', points: item.points, expiresAt: item.hold.expiresAtUtc, breakdown: item.breakdown, status: item.hold.status, captured: item.hold.captured };
        case 'release':
          return {
            type: 'release',
            hold: positionOf(item.hold),
            points: item.points,
            ...(item.timestamp !== undefined ? { timestamp: item.timestamp } : {}),
            breakdown: item.breakdown,
            ...(item.expired ? { expired: true } : {}),
          };
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
    if (rest.type === 'spend' || rest.type === 'reversal' || rest.type === 'hold' || (rest.type === 'release' && !rest.expired)) delete rest.timestamp;
    if (rest.type === 'expire' && position.has(rest.lot)) rest.lot = position.get(rest.lot);
    if (rest.type === 'reversal' && position.has(rest.spend)) rest.spend = position.get(rest.spend);
    if ((rest.type === 'release' || rest.type === 'spend') && position.has(rest.hold)) rest.hold = position.get(rest.hold);
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
export function replayLedger(items: readonly any[], now = Date.now()): FifoModel {
  const model = new FifoModel();
  // An add's recording time is not in the ledger; every later item's time bounds it (an item's
  // time, or the instant it fell due, comes no earlier than the add). An add with availableAt
  // after that bound was pending; one before it is replayed as available (either way it is by
  // then). `now` bounds the last ones.
  const bound: number[] = [];
  for (let i = items.length - 1, least = now; i >= 0; i--) {
    bound[i] = least;
    if (items[i].type !== 'add') least = Math.min(least, Date.parse(items[i].timestamp));
  }
  const spendIndex = new Map<string, number>();
  const holdIndex = new Map<string, number>();
  const fail = (i: number, what: string, got: unknown, want: unknown) => {
    throw new Error(`replay: item #${i} (${what}) is ${JSON.stringify(got)}, the model says ${JSON.stringify(want)}`);
  };
  items.forEach((item, i) => {
    const now = Date.parse(item.timestamp);
    if (item.type === 'add') {
      const options = {
        ...(item.expiresAt === undefined ? {} : { expiresAt: item.expiresAt }),
        ...(item.availableAt === undefined ? {} : { availableAt: item.availableAt, pending: Date.parse(item.availableAt) > bound[i]! }),
      };
      const answer = model.add(item.payer, item.points, item.timestamp, item.timestamp, options);
      if ('refused' in answer) fail(i, 'add', item, answer);
    } else if (item.type === 'spend') {
      spendIndex.set(item.id, model.spends.length);
      const answer = item.hold === undefined ? model.spend(-item.points, { now }) : model.capture(holdIndex.get(item.hold) ?? -1, -item.points, { now });
      if (JSON.stringify(answer) !== JSON.stringify(item.breakdown)) fail(i, `spend of ${-item.points}`, item.breakdown, answer);
    } else if (item.type === 'hold') {
      holdIndex.set(item.id, model.holds.length);
      const answer = model.hold(-item.points, { now, expiresAt: item.expiresAt });
      if ('refused' in answer || JSON.stringify(answer.breakdown) !== JSON.stringify(item.breakdown)) fail(i, `hold of ${-item.points}`, item.breakdown, answer);
    } else if (item.type === 'release') {
      // An expired hold is released by the clock; a capture's release came with its spend.
      if (item.expired) model.expire(now);
      else if (!(items[i - 1]?.type === 'spend' && items[i - 1].hold === item.hold)) {
        const answer = model.release(holdIndex.get(item.hold) ?? -1, { now });
        if (JSON.stringify(answer) !== JSON.stringify(item.breakdown)) fail(i, `release of ${item.points}`, item.breakdown, answer);
      }
    } else if (item.type === 'reversal') {
      const answer = model.reverse(spendIndex.get(item.spend) ?? -1, item.points, { now });
      if (JSON.stringify(answer) !== JSON.stringify(item.breakdown)) fail(i, `reversal of ${item.points}`, item.breakdown, answer);
    } else if (item.type === 'expire') {
      model.expire(now);
    } else fail(i, 'type', item.type, 'add, spend, reversal, expire, hold or release');
    for (const [payer, n] of model.balances) if (n < 0) fail(i, `balance of ${payer}`, n, '>= 0');
  });
  return model;
}

/**
 * Each payer's available balance at `now` (epoch ms) as the sum of the ledger: adds (pending ones
 * count 0 until their availableAt), spends, expires, reversals, holds and releases; a capture
 * takes held points, so it changes no available balance.
 */
export function ledgerSums(items: readonly any[], now = Date.now()): Record<string, number> {
  const sums = new Map<string, number>();
  for (const item of items) {
    if (item.type === 'add') merge(sums, item.payer, item.availableAt !== undefined && Date.parse(item.availableAt) > now ? 0 : item.points);
    else if (item.type === 'expire') merge(sums, item.payer, item.points);
    else if (!(item.type === 'spend' && item.hold !== undefined)) for (const { payer, points } of item.breakdown) merge(sums, payer, points);
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
