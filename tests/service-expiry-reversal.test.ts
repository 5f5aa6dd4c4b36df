// Expiry and reversal in the service itself, on DynamoDB Local, with a clock the test moves
// (PointsService's `now`), so every rule is checked without waiting.
import { describe, expect, it } from 'vitest';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { reverseBodySchema } from '../lib/domain/schemas/reverse.js';
import { spendBodySchema } from '../lib/domain/schemas/spend.js';
import { PointsService } from '../lib/service/service.js';
import { ledgerSums } from './support/fifo-model.js';
import { newUser } from './support/http.js';
import { makeStore } from './support/store.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function setup() {
  const clock = { now: T0 };
  const service = new PointsService(makeStore(), { now: () => clock.now });
  const user = newUser('xr');
  const add = async (payer: string, points: number, second: number, expiresIn?: number) =>
    JSON.parse((await service.add(user, addBodySchema.parse({ payer, points, timestamp: at(second), ...(expiresIn ? { expiresAt: at(second + expiresIn) } : {}) }))).body);
  const spend = async (points: number) => JSON.parse((await service.spend(user, spendBodySchema.parse({ points }))).body);
  const reverse = async (spendId: string, points?: number) =>
    JSON.parse((await service.reverse(user, spendId, reverseBodySchema.parse(points === undefined ? {} : { points }))).body);
  const balance = async () => Object.fromEntries(await service.balance(user));
  const ledger = async () => (await service.transactions(user, 0, 1000)).items.map((row) => row.item);
  const lastSpendId = async () => (await ledger()).filter((i) => i.type === 'spend').at(-1)!.id;
  return { clock, service, user, add, spend, reverse, balance, ledger, lastSpendId };
}

describe('expiry', () => {
  it('expires lots lazily, in expiresAt order, before anything recorded after them; spends never draw on them', async () => {
    const s = setup();
    await s.add('A', 100, 0, 60); // expires at 60 s
    await s.add('B', 50, 10, 20); // expires at 30 s
    await s.add('C', 70, 20);
    expect(await s.balance()).toEqual({ A: 100, B: 50, C: 70 });
    s.clock.now = T0 + 61_000;
    expect(await s.balance()).toEqual({ A: 0, B: 0, C: 70 });
    const items = await s.ledger();
    expect(items.map((i) => [i.type, i.points])).toEqual([
      ['add', 100],
      ['add', 50],
      ['add', 70],
      ['expire', -50],
      ['expire', -100],
    ]);
    expect(items[3]).toMatchObject({ payer: 'B', timestamp: at(30), lot: items[1]!.id });
    expect(items[0]).toMatchObject({ remaining: 0, expiresAt: at(60) });
    expect(await s.spend(70)).toEqual([{ payer: 'C', points: -70 }]);
    await expect(s.spend(1)).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    expect(ledgerSums(await s.ledger())).toEqual(await s.balance());
  });

  it('an add whose expiresAt has passed is recorded and expires at once', async () => {
    const s = setup();
    s.clock.now = T0 + 100_000;
    const item = await s.add('A', 10, 0, 50);
    expect(item).toMatchObject({ type: 'add', points: 10, remaining: 0 });
    expect(await s.balance()).toEqual({ A: 0 });
    expect((await s.ledger()).map((i) => i.type)).toEqual(['add', 'expire']);
  });

  it('records more than one transaction of expired lots (120 lots due at once)', async () => {
    const s = setup();
    await Promise.all(Array.from({ length: 120 }, (_, i) => s.add(i % 2 ? 'A' : 'B', 1, i, 1000 - i)));
    await s.add('C', 5, 500);
    s.clock.now = T0 + 2_000_000;
    expect(await s.balance()).toEqual({ A: 0, B: 0, C: 5 });
    const expires = (await s.ledger()).filter((i) => i.type === 'expire');
    expect(expires).toHaveLength(120);
    const times = expires.map((i) => i.timestamp);
    expect([...times].sort()).toEqual(times);
  });
});

describe('reversal', () => {
  it('gives back the last-taken points first, partially and then the rest; a further reversal is EXCEEDS_SPEND', async () => {
    const s = setup();
    await s.add('A', 100, 0);
    await s.add('B', 100, 1);
    await s.add('C', 100, 2);
    expect(await s.spend(250)).toEqual([
      { payer: 'A', points: -100 },
      { payer: 'B', points: -100 },
      { payer: 'C', points: -50 },
    ]);
    const id = await s.lastSpendId();
    const first = await s.reverse(id, 80);
    expect(first).toMatchObject({ type: 'reversal', spend: id, points: 80, breakdown: [{ payer: 'C', points: 50 }, { payer: 'B', points: 30 }] });
    expect(await s.balance()).toEqual({ A: 0, B: 30, C: 100 });
    // What stays spent is what a spend of 170 would have taken.
    const second = await s.reverse(id);
    expect(second.breakdown).toEqual([
      { payer: 'B', points: 70 },
      { payer: 'A', points: 100 },
    ]);
    expect(await s.balance()).toEqual({ A: 100, B: 100, C: 100 });
    await expect(s.reverse(id)).rejects.toMatchObject({ code: 'EXCEEDS_SPEND' });
    await expect(s.reverse(id, 1)).rejects.toMatchObject({ code: 'EXCEEDS_SPEND' });
    await expect(s.reverse('1-00000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(s.reverse('nonsense')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const spendItem = (await s.ledger()).find((i) => i.id === id);
    expect(spendItem).toMatchObject({ reversed: 250 });
    // The lots are whole again and spent in the same order.
    expect(await s.spend(120)).toEqual([
      { payer: 'A', points: -100 },
      { payer: 'B', points: -20 },
    ]);
    expect(ledgerSums(await s.ledger())).toEqual(await s.balance());
  });

  it('points given back to an expired lot expire at once', async () => {
    const s = setup();
    await s.add('A', 100, 0, 100);
    await s.add('B', 100, 1);
    await s.spend(150);
    const id = await s.lastSpendId();
    s.clock.now = T0 + 200_000;
    const reversal = await s.reverse(id);
    expect(reversal.breakdown).toEqual([
      { payer: 'B', points: 50 },
      { payer: 'A', points: 100 },
    ]);
    expect(await s.balance()).toEqual({ A: 0, B: 100 });
    const items = await s.ledger();
    expect(items.slice(-2).map((i) => [i.type, i.points])).toEqual([
      ['reversal', 150],
      ['expire', -100],
    ]);
    expect(ledgerSums(items)).toEqual(await s.balance());
  });

  it('reverses a 250-lot spend, part of it into expired lots, across several transactions', async () => {
    const s = setup();
    await Promise.all(Array.from({ length: 250 }, (_, i) => s.add(['A', 'B', 'C'][i % 3]!, 2, i, i % 5 === 0 ? 1000 : undefined)));
    await s.spend(500);
    const id = await s.lastSpendId();
    s.clock.now = T0 + 5_000_000;
    const reversal = await s.reverse(id);
    expect(reversal.points).toBe(500);
    const balance = await s.balance();
    // Every fifth lot expired meanwhile: its 2 points came back and expired at once.
    expect(Object.values(balance).reduce((a, b) => a + b, 0)).toBe(400);
    const items = await s.ledger();
    expect(items.filter((i) => i.type === 'expire')).toHaveLength(50);
    expect(items.filter((i) => i.type === 'add' && i.remaining === 2)).toHaveLength(200);
    expect(ledgerSums(items)).toEqual(balance);
  });
});
