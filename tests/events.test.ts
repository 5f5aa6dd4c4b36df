// SPEC "Events and statements" over HTTP against the local stack, whose stream feeder runs the
// stream consumer on DynamoDB Local's stream.
import { describe, expect, it } from 'vitest';
import { add, call, newUser, reverse, spend } from './support/http.js';
import { feedUntil, newPayer, statement } from './support/events.js';

describe('events of the canonical example', () => {
  it('gives one event per payer of each item, in SPEC shape, in every payer feed it touches', async () => {
    const user = newUser();
    const [dannon, unilever, miller] = [newPayer('DANNON'), newPayer('UNILEVER'), newPayer('MILLER')];
    const added = [];
    for (const [payer, points, timestamp] of [
      [dannon, 300, '2022-10-31T10:00:00Z'],
      [unilever, 200, '2022-10-31T11:00:00Z'],
      [dannon, -200, '2022-10-31T15:00:00Z'],
      [miller, 10000, '2022-11-01T14:00:00Z'],
      [dannon, 1000, '2022-11-02T14:00:00Z'],
    ] as const) {
      const answer = await add(user, payer, points, timestamp);
      expect(answer.status).toBe(200);
      added.push(answer.body);
    }
    expect((await spend(user, 5000)).status).toBe(200);
    const spendItem = (await call('GET', `/users/${user}/transactions`)).body.items.at(-1);
    const reversal = await reverse(user, spendItem.id, { points: 100 });
    expect(reversal.status).toBe(200);

    const dannonEvents = await feedUntil(dannon, (items) => items.length >= 4);
    expect(dannonEvents.map((e) => [e.type, e.points, e.sequence])).toEqual([
      ['points.added', 300, 1],
      ['points.deducted', -200, 3],
      ['points.added', 1000, 5],
      ['points.spent', -100, 6],
    ]);
    const first = dannonEvents[0];
    expect(Object.keys(first)).toEqual(['id', 'type', 'createdAt', 'userId', 'payer', 'points', 'sequence', 'transaction']);
    expect(first).toMatchObject({ userId: user, payer: dannon, transaction: { id: added[0].id, type: 'add', timestamp: '2022-10-31T10:00:00Z' } });
    expect(first.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const millerEvents = await feedUntil(miller, (items) => items.length >= 3);
    expect(millerEvents.map((e) => [e.type, e.points])).toEqual([
      ['points.added', 10000],
      ['points.spent', -4700],
      ['points.reversed', 100],
    ]);
    expect(millerEvents[2].transaction).toEqual({ id: reversal.body.id, type: 'reversal', timestamp: reversal.body.timestamp, spend: spendItem.id });
    // The spend's event in each payer's feed has the same transaction, its own payer's part.
    const unileverSpent = (await feedUntil(unilever, (items) => items.length >= 2))[1];
    expect(unileverSpent).toMatchObject({ type: 'points.spent', points: -200, payer: unilever, transaction: { id: spendItem.id } });

    const day = millerEvents[0].createdAt.slice(0, 10);
    const sheet = await statement(miller, day, day);
    expect(sheet).toMatchObject({
      payer: miller,
      from: day,
      to: day,
      days: [{ date: day, added: 10000, deducted: 0, spent: 4700, reversed: 100, expired: 0, held: 0, released: 0 }],
      totals: { added: 10000, deducted: 0, spent: 4700, reversed: 100, expired: 0, held: 0, released: 0 },
      outstanding: 5400,
    });
    expect(Object.keys(sheet)).toEqual(['payer', 'from', 'to', 'asOf', 'days', 'totals', 'outstanding']);
  }, 120_000);
});
