// Requests wait per key (a user) in arrival order; one round at a time serves them. A round may
// take several waiting requests at once (group commit) and says which it settled; the others
// wait for the next round. Within one process this also keeps a user's writes from racing each
// other; across processes the account version check does (lib/service/store.ts).
import { AsyncLocalStorage } from 'node:async_hooks';

/** A waiting request and its async context (which carries its deadline, lib/service/deadline.ts). */
interface Entry<T> {
  item: T;
  inContext: ReturnType<typeof AsyncLocalStorage.snapshot>;
}

/** What a round settled, and what it hands to the round right after it (if one follows at once). */
export interface Round<T, C> {
  settled: readonly T[];
  carry?: C;
}

export class GroupQueue<T, C = never> {
  private readonly waiting = new Map<string, Entry<T>[]>();

  /**
   * `serve` settles a prefix-or-more of what waits (at least one). `waiting()` is the queue as it
   * is now: a round that has to start over may take in what arrived meanwhile. `carried` is what
   * the previous round of the same busy spell handed on: it never outlives a moment when nothing waited.
   */
  constructor(private readonly serve: (key: string, waiting: () => readonly T[], carried: C | undefined) => Promise<Round<T, C>>) {}

  push(key: string, item: T): void {
    const entry = { item, inContext: AsyncLocalStorage.snapshot() };
    const queue = this.waiting.get(key);
    if (queue) {
      queue.push(entry);
      return;
    }
    const fresh = [entry];
    this.waiting.set(key, fresh);
    void this.drain(key, fresh);
  }

  private async drain(key: string, queue: Entry<T>[]): Promise<void> {
    let carried: C | undefined;
    while (queue.length > 0) {
      // Each round runs in the context of the oldest request it serves, so it keeps that
      // request's deadline, not the one of whichever request started the queue.
      const round = await queue[0]!.inContext(() => this.serve(key, () => queue.map((entry) => entry.item), carried));
      const settled = new Set(round.settled);
      if (settled.size === 0) throw new Error('GroupQueue: a round settled no request');
      for (let i = queue.length - 1; i >= 0; i--) if (settled.has(queue[i]!.item)) queue.splice(i, 1);
      carried = round.carry;
    }
    this.waiting.delete(key);
  }
}
