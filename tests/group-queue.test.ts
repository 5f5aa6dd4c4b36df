// lib/service/group-queue.ts: one round at a time per key, requests in arrival order, several per round;
// other keys do not wait.
import { describe, expect, it } from 'vitest';
import { GroupQueue } from '../lib/service/group-queue.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 2));

describe('GroupQueue', () => {
  it('serves one round at a time per key, in arrival order, taking what waited meanwhile as one group', async () => {
    let running = 0;
    let most = 0;
    const rounds: number[][] = [];
    const queue = new GroupQueue<number>(async (_key, current) => {
      const waiting = current();
      running += 1;
      most = Math.max(most, running);
      await tick();
      rounds.push([...waiting]);
      running -= 1;
      return { settled: waiting };
    });
    for (let i = 0; i < 20; i++) queue.push('user', i);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(most).toBe(1);
    expect(rounds.flat()).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // The first request starts a round alone; the 19 that arrived while it ran form the next.
    expect(rounds.map((r) => r.length)).toEqual([1, 19]);
  });

  it('keeps what a round did not settle for the next round, in order', async () => {
    const rounds: number[][] = [];
    const queue = new GroupQueue<number>(async (_key, current) => {
      const waiting = current();
      await tick();
      rounds.push([...waiting]);
      return { settled: waiting.slice(0, 2) }; // settles at most two per round
    });
    for (let i = 0; i < 5; i++) queue.push('user', i);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rounds).toEqual([[0], [1, 2, 3, 4], [3, 4]]);
  });

  it('hands a round what the round before it carried on, only while requests kept waiting', async () => {
    const seen: (number | undefined)[] = [];
    const queue = new GroupQueue<number, number>(async (_key, current, carried) => {
      const waiting = current();
      seen.push(carried);
      await tick();
      return { settled: waiting.slice(0, 1), carry: waiting[0]! * 10 };
    });
    for (let i = 1; i <= 3; i++) queue.push('user', i);
    await new Promise((resolve) => setTimeout(resolve, 50));
    queue.push('user', 4); // the queue emptied in between: a new spell starts with nothing
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([undefined, 10, 20, undefined]);
  });

  it('lets different keys run at the same time', async () => {
    let running = 0;
    let most = 0;
    const queue = new GroupQueue<string>(async (_key, current) => {
      const waiting = current();
      running += 1;
      most = Math.max(most, running);
      await tick();
      running -= 1;
      return { settled: waiting };
    });
    for (const key of ['a', 'b', 'c']) queue.push(key, key);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(most).toBe(3);
  });
});
