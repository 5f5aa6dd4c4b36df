// lib/lanes.ts: same-key tasks run one at a time, in arrival order; other keys do not wait.
import { describe, expect, it } from 'vitest';
import { Lanes } from '../lib/lanes.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('Lanes', () => {
  it('runs tasks of one key one after another, in the order they came', async () => {
    const lanes = new Lanes();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        lanes.run('user', async () => {
          running += 1;
          most = Math.max(most, running);
          await tick();
          order.push(i);
          running -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('lets different keys run at the same time', async () => {
    const lanes = new Lanes();
    let running = 0;
    let most = 0;
    await Promise.all(
      ['a', 'b', 'c'].map((key) =>
        lanes.run(key, async () => {
          running += 1;
          most = Math.max(most, running);
          await tick();
          running -= 1;
        }),
      ),
    );
    expect(most).toBe(3);
  });

  it('passes results and errors through, and a failed task does not block the lane', async () => {
    const lanes = new Lanes();
    const failed = lanes.run('k', async () => {
      throw new Error('boom');
    });
    const next = lanes.run('k', async () => 42);
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });
});
