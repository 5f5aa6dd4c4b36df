// The open lots as one batch of requests sees them: lots read from the store (lazily, oldest
// first, only as far as the points asked for need), lots the batch itself adds, and what the
// batch's takes left in each. Planning never mutates it; apply() does, once a plan is accepted.
import { planTakes, type OpenLot, type Take } from './ledger.js';

export type FetchLots = (after: string | undefined, points: number) => Promise<{ lots: OpenLot[]; done: boolean }>;

export class LotBook {
  private readonly read: OpenLot[] = [];
  private readonly added: OpenLot[] = [];
  /** Remaining points of every lot a take of this batch touched. */
  private readonly left = new Map<number, number>();
  private lastKey: string | undefined;
  private done = false;

  constructor(private readonly fetch: FetchLots) {}

  add(lot: OpenLot): void {
    this.added.push(lot);
  }

  remainingOf(lot: OpenLot): number {
    return this.left.get(lot.seq) ?? lot.remaining;
  }

  /**
   * Takes covering `points`, oldest first, with each lot's remaining as this batch left it; null
   * when every open lot together holds less. Lots the batch added count only once every stored
   * lot older than them has been read.
   */
  async plan(points: number): Promise<Take[] | null> {
    for (;;) {
      const usable = [...this.read, ...this.added.filter((lot) => this.done || (this.lastKey !== undefined && lot.orderKey < this.lastKey))]
        .sort((a, b) => (a.orderKey < b.orderKey ? -1 : 1))
        .map((lot) => ({ ...lot, remaining: this.remainingOf(lot) }))
        .filter((lot) => lot.remaining > 0);
      const takes = planTakes(usable, points);
      if (takes || this.done) return takes;
      const held = usable.reduce((sum, lot) => sum + lot.remaining, 0);
      const page = await this.fetch(this.lastKey, points - held);
      this.read.push(...page.lots);
      this.lastKey = page.lots.at(-1)?.orderKey ?? this.lastKey;
      this.done = page.done;
    }
  }

  apply(takes: readonly Take[]): void {
    for (const { lot, take } of takes) this.left.set(lot.seq, this.remainingOf(lot) - take);
  }

  /** Stored lots this batch took from, with what they have left. */
  updates(): { seq: number; remaining: number }[] {
    return this.read.filter((lot) => this.left.has(lot.seq)).map((lot) => ({ seq: lot.seq, remaining: this.left.get(lot.seq)! }));
  }

  /** Stored lots that `takes` would touch for the first time in this batch (each is one more item to write). */
  newlyTouched(takes: readonly Take[]): number {
    const stored = new Set(this.read.map((lot) => lot.seq));
    return takes.filter(({ lot }) => stored.has(lot.seq) && !this.left.has(lot.seq)).length;
  }
}
