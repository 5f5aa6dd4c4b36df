// SPEC "The canonical example", over HTTP, byte for byte.
import { describe, expect, it } from 'vitest';
import { BALANCE_ANSWER, CANONICAL_ADDS as ADDS, CANONICAL_SPEND, SPEND_ANSWER } from './support/canonical.js';
import { add, balance, call, newUser, spend } from './support/http.js';

async function run(user: string, order: typeof ADDS, prefix = `/users/${user}`) {
  for (const a of order) {
    const answer = await call('POST', `${prefix}/add`, a);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ type: 'add', payer: a.payer, points: a.points, timestamp: a.timestamp });
  }
  const spent = await call('POST', `${prefix}/spend`, { points: CANONICAL_SPEND });
  expect(spent.status).toBe(200);
  expect(spent.headers.get('content-type')).toMatch(/^application\/json/);
  expect(spent.text).toBe(SPEND_ANSWER);
  const after = await call('GET', `${prefix}/balance`);
  expect(after.status).toBe(200);
  expect(after.text).toBe(BALANCE_ANSWER);
}

describe('canonical example', () => {
  it('answers as SPEC says under /users/{userId}', () => run(newUser('canon'), ADDS));

  it('gives the same answers in another arrival order where DANNON -200 follows its 300', async () => {
    const [d300, u200, dneg, mc, d1000] = ADDS as [any, any, any, any, any];
    await run(newUser('canon'), [mc, d1000, d300, u200, dneg]);
    await run(newUser('canon'), [d1000, d300, dneg, mc, u200]);
  });

  it('bare routes act on the user "default", the same as /users/default', async () => {
    const before = await call('GET', '/balance');
    const viaUsers = await balance('default');
    expect(before.status).toBe(200);
    expect(viaUsers.text).toBe(before.text);
    const added = await call('POST', '/add', { payer: 'BARE', points: 1, timestamp: '2022-01-01T00:00:00Z' });
    expect(added.status).toBe(200);
    expect((await balance('default')).body.BARE).toBe(((before.body as Record<string, number>).BARE ?? 0) + 1);
    const spent = await spend('default', 1);
    expect(spent.status).toBe(200);
  });

  it('users never see each other’s points', async () => {
    const a = newUser('iso');
    const b = newUser('iso');
    await add(a, 'P', 10, '2022-01-01T00:00:00Z');
    expect((await balance(b)).text).toBe('{}');
    expect((await spend(b, 1)).body.code).toBe('INSUFFICIENT_POINTS');
    expect((await balance(a)).text).toBe('{"P":10}');
  });
});
