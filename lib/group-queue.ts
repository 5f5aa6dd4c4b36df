// Requests wait per key (a user) in arrival order; one round at a time serves them. A round may
// take several waiting requests at once (group commit) and says which it settled; the others
// wait for the next round. Within one process this also keeps a user's writes from racing each
// other; across processes the account version check does (lib/store.ts).
export class GroupQueue<T> {
  private readonly waiting = new Map<string, T[]>();

  /** `serve` settles a prefix-or-more of `waiting` and returns the requests it settled (at least one). */
  constructor(private readonly serve: (key: string, waiting: readonly T[]) => Promise<readonly T[]>) {}

  push(key: string, item: T): void {
    const queue = this.waiting.get(key);
    if (queue) {
      queue.push(item);
      return;
    }
    const fresh = [item];
    this.waiting.set(key, fresh);
    void this.drain(key, fresh);
  }

  private async drain(key: string, queue: T[]): Promise<void> {
    while (queue.length > 0) {
      const settled = new Set(await this.serve(key, [...queue]));
      if (settled.size === 0) throw new Error('GroupQueue: a round settled no request');
      for (let i = queue.length - 1; i >= 0; i--) if (settled.has(queue[i]!)) queue.splice(i, 1);
    }
    this.waiting.delete(key);
  }
}
