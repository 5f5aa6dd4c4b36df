// SPEC "Guarantees: Idempotent on request", over HTTP: a POST with an Idempotency-Key is applied
// at most once per user, and a retry with the same key and body gets the first answer again.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectProblem, snapshot } from './support/expect.js';
import { add, balance, call, ledger, newUser, spend, type Answer } from './support/http.js';

const T0 = '2022-10-31T10:00:00Z';
const T1 = '2022-10-31T11:00:00Z';
const T2 = '2022-10-31T12:00:00Z';

const key = (label = 'k') => `${label}-${randomUUID()}`;
const withKey = (k: string) => ({ 'Idempotency-Key': k });
const REPLAYED = 'idempotent-replayed';

function expectFirstAnswer(first: Answer, again: Answer) {
  expect(again.status).toBe(first.status);
  expect(again.text).toBe(first.text);
  expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
  expect(first.headers.get(REPLAYED)).toBeNull();
  expect(again.headers.get(REPLAYED)).toBe('true');
}

describe('replays', () => {
  it('replays an add: same status, byte-identical body, replay header, nothing changed', async () => {
    const user = newUser('idem');
    const k = key();
    const first = await add(user, 'P', 10, T0, withKey(k));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ type: 'add', payer: 'P', points: 10, timestamp: T0, remaining: 10 });
    const before = await snapshot(user);
    expect(before.balance).toBe('{"P":10}');
    expect(before.ledger).toHaveLength(1);

    for (let i = 0; i < 3; i++) expectFirstAnswer(first, await add(user, 'P', 10, T0, withKey(k)));
    expect(await snapshot(user)).toEqual(before);

    // The key, not the body, is what deduplicates: the same body under another key is applied.
    const other = await add(user, 'P', 10, T0, withKey(key()));
    expect(other.status).toBe(200);
    expect(other.headers.get(REPLAYED)).toBeNull();
    expect(other.body.id).not.toBe(first.body.id);
    expect((await balance(user)).body).toEqual({ P: 20 });
  });

  it('replays an add with its first answer even after later changes to the lot', async () => {
    const user = newUser('idem');
    const k = key();
    const first = await add(user, 'P', 10, T0, withKey(k));
    expect(first.status).toBe(200);
    expect((await spend(user, 4)).status).toBe(200);
    const before = await snapshot(user);
    expect(before.ledger[0]).toMatchObject({ id: first.body.id, remaining: 6 });

    const again = await add(user, 'P', 10, T0, withKey(k));
    expectFirstAnswer(first, again);
    expect(again.body.remaining).toBe(10); // the first answer, not the lot's state now
    expect(await snapshot(user)).toEqual(before);
  });

  it('replays a spend: same breakdown byte for byte, nothing spent twice', async () => {
    const user = newUser('idem');
    expect((await add(user, 'A', 100, T0)).status).toBe(200);
    expect((await add(user, 'B', 100, T1)).status).toBe(200);
    const k = key();
    const first = await spend(user, 150, withKey(k));
    expect(first.status).toBe(200);
    expect(first.text).toBe('[{"payer":"A","points":-100},{"payer":"B","points":-50}]');
    const before = await snapshot(user);
    expect(JSON.parse(before.balance)).toEqual({ A: 0, B: 50 });
    expect(before.ledger).toHaveLength(3);

    for (let i = 0; i < 3; i++) expectFirstAnswer(first, await spend(user, 150, withKey(k)));
    expect(await snapshot(user)).toEqual(before);

    // A newer, older-timestamped lot would change a fresh spend's breakdown, not the replay's.
    expect((await add(user, 'C', 500, '2000-01-01T00:00:00Z')).status).toBe(200);
    const after = await spend(user, 150, withKey(k));
    expectFirstAnswer(first, after);
    expect((await balance(user)).body).toEqual({ A: 0, B: 50, C: 500 });
  });

  it('treats a body with its keys in another order (or other whitespace) as the same body', async () => {
    const user = newUser('idem');
    const k = key();
    const first = await call('POST', `/users/${user}/add`, `{"payer":"P","points":7,"timestamp":"${T0}"}`, withKey(k));
    expect(first.status).toBe(200);
    const reordered = await call('POST', `/users/${user}/add`, `{"timestamp":"${T0}","points":7,"payer":"P"}`, withKey(k));
    expectFirstAnswer(first, reordered);
    const spaced = await call('POST', `/users/${user}/add`, `{ "points" : 7 ,\n "payer": "P", "timestamp": "${T0}" }`, withKey(k));
    expectFirstAnswer(first, spaced);
    expect((await balance(user)).body).toEqual({ P: 7 });
    expect(await ledger(user)).toHaveLength(1);
  });

  it('gives concurrent duplicates the first answer (or 409 IDEMPOTENCY_IN_PROGRESS) and applies the request once', async () => {
    const user = newUser('idem');
    expect((await add(user, 'A', 1000, T0)).status).toBe(200);
    const k = key();
    const answers = await Promise.all(Array.from({ length: 8 }, () => spend(user, 30, withKey(k))));
    const ok = answers.filter((a) => a.status === 200);
    for (const a of answers.filter((a) => a.status !== 200)) expectProblem(a, 409, 'IDEMPOTENCY_IN_PROGRESS');
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.filter((a) => a.headers.get(REPLAYED) === null)).toHaveLength(1);
    for (const a of ok) expect(a.text).toBe('[{"payer":"A","points":-30}]');
    expect((await balance(user)).body).toEqual({ A: 970 });
    expect((await ledger(user)).filter((item) => item.type === 'spend')).toHaveLength(1);
  });
});

describe('a key reused with another request', () => {
  it('refuses a different add body with 422 IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
    const user = newUser('idem');
    const k = key();
    expect((await add(user, 'P', 10, T0, withKey(k))).status).toBe(200);
    const before = await snapshot(user);
    expectProblem(await add(user, 'P', 11, T0, withKey(k)), 422, 'IDEMPOTENCY_KEY_REUSED');
    expectProblem(await add(user, 'Q', 10, T0, withKey(k)), 422, 'IDEMPOTENCY_KEY_REUSED');
    expectProblem(await add(user, 'P', 10, T1, withKey(k)), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await snapshot(user)).toEqual(before);
  });

  it('refuses a different spend body with 422 and changes nothing', async () => {
    const user = newUser('idem');
    expect((await add(user, 'P', 100, T0)).status).toBe(200);
    const k = key();
    expect((await spend(user, 10, withKey(k))).status).toBe(200);
    const before = await snapshot(user);
    expectProblem(await spend(user, 11, withKey(k)), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await snapshot(user)).toEqual(before);
  });

  it('refuses a key first used on /add when it comes again on /spend, and the other way round', async () => {
    const user = newUser('idem');
    const k1 = key();
    expect((await add(user, 'P', 100, T0, withKey(k1))).status).toBe(200);
    const afterAdd = await snapshot(user);
    expectProblem(await spend(user, 10, withKey(k1)), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await snapshot(user)).toEqual(afterAdd);

    const k2 = key();
    expect((await spend(user, 10, withKey(k2))).status).toBe(200);
    const afterSpend = await snapshot(user);
    expectProblem(await add(user, 'P', 5, T1, withKey(k2)), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await snapshot(user)).toEqual(afterSpend);
    expect(JSON.parse(afterSpend.balance)).toEqual({ P: 90 });
  });
});

describe('scope and what is stored', () => {
  it('scopes keys per user: the same key on two users applies to both', async () => {
    const [a, b] = [newUser('idem'), newUser('idem')];
    const k = key();
    const first = await add(a, 'P', 10, T0, withKey(k));
    const second = await add(b, 'P', 10, T0, withKey(k));
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers.get(REPLAYED)).toBeNull();
    expect(second.body.id).not.toBe(first.body.id);
    expect((await balance(a)).body).toEqual({ P: 10 });
    expect((await balance(b)).body).toEqual({ P: 10 });

    const ks = key();
    expect((await spend(a, 3, withKey(ks))).status).toBe(200);
    const spentB = await spend(b, 4, withKey(ks)); // another body, but another user: not a reuse
    expect(spentB.status).toBe(200);
    expect(spentB.headers.get(REPLAYED)).toBeNull();
    expect((await balance(a)).body).toEqual({ P: 7 });
    expect((await balance(b)).body).toEqual({ P: 6 });
  });

  it('stores INSUFFICIENT_POINTS under the key: the retry gets the same 400 even after points are added', async () => {
    const user = newUser('idem');
    expect((await add(user, 'P', 5, T0)).status).toBe(200);
    const k = key();
    const first = await spend(user, 10, withKey(k));
    expectProblem(first, 400, 'INSUFFICIENT_POINTS');
    expect((await add(user, 'P', 100, T1)).status).toBe(200);
    const before = await snapshot(user);

    const again = await spend(user, 10, withKey(k));
    expectFirstAnswer(first, again);
    expect(await snapshot(user)).toEqual(before);
    expect(JSON.parse(before.balance)).toEqual({ P: 105 });

    // A different body under that key is still a reuse; a fresh key is applied.
    expectProblem(await spend(user, 9, withKey(k)), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect((await spend(user, 10, withKey(key()))).status).toBe(200);
    expect((await balance(user)).body).toEqual({ P: 95 });
  });

  it('stores INSUFFICIENT_PAYER_POINTS under the key the same way', async () => {
    const user = newUser('idem');
    expect((await add(user, 'P', 5, T0)).status).toBe(200);
    const k = key();
    const first = await add(user, 'P', -10, T1, withKey(k));
    expectProblem(first, 400, 'INSUFFICIENT_PAYER_POINTS');
    expect((await add(user, 'P', 100, T0)).status).toBe(200);
    const before = await snapshot(user);
    expectFirstAnswer(first, await add(user, 'P', -10, T1, withKey(k)));
    expect(await snapshot(user)).toEqual(before);
    expect(JSON.parse(before.balance)).toEqual({ P: 105 });
  });

  it('does not store VALIDATION_FAILED: the corrected body then succeeds under the same key', async () => {
    const user = newUser('idem');
    expect((await add(user, 'P', 100, T0)).status).toBe(200);
    const k = key();
    expectProblem(await call('POST', `/users/${user}/spend`, { points: '10' }, withKey(k)), 400, 'VALIDATION_FAILED');
    const fixed = await spend(user, 10, withKey(k));
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get(REPLAYED)).toBeNull();
    expect(fixed.text).toBe('[{"payer":"P","points":-10}]');
    expectFirstAnswer(fixed, await spend(user, 10, withKey(k)));
    expect((await balance(user)).body).toEqual({ P: 90 });

    const k2 = key();
    expectProblem(await call('POST', `/users/${user}/add`, { payer: 'Q', points: 5, timestamp: T2, extra: 1 }, withKey(k2)), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', `/users/${user}/add`, '{"payer":', withKey(k2)), 400, 'VALIDATION_FAILED');
    const added = await add(user, 'Q', 5, T2, withKey(k2));
    expect(added.status).toBe(200);
    expect(added.headers.get(REPLAYED)).toBeNull();
    expect((await balance(user)).body).toEqual({ P: 90, Q: 5 });
  });

  it('refuses a malformed Idempotency-Key with 400 VALIDATION_FAILED and changes nothing', async () => {
    const user = newUser('idem');
    for (const bad of ['a b', 'x'.repeat(129), 'caf\u00e9']) {
      // fetch refuses to send non-Latin-1 header values; send the UTF-8 bytes as Latin-1 instead.
      const sent = Buffer.from(bad, 'utf8').toString('latin1');
      expectProblem(await add(user, 'P', 1, T0, withKey(sent)), 400, 'VALIDATION_FAILED');
    }
    expect((await balance(user)).text).toBe('{}');
    const longest = 'k'.repeat(120) + randomUUID().slice(0, 8);
    expect(longest).toHaveLength(128);
    const first = await add(user, 'P', 1, T0, withKey(longest));
    expect(first.status).toBe(200);
    expectFirstAnswer(first, await add(user, 'P', 1, T0, withKey(longest)));
    expect((await balance(user)).body).toEqual({ P: 1 });
  });
});

describe('bare routes and /users/default', () => {
  it('share keys: an add via /add is replayed via /users/default/add and the other way round', async () => {
    const payer = `bare-idem-${randomUUID()}`;
    const k = key('bare');
    const first = await call('POST', '/add', { payer, points: 3, timestamp: T0 }, withKey(k));
    expect(first.status).toBe(200);
    expectFirstAnswer(first, await call('POST', '/users/default/add', { payer, points: 3, timestamp: T0 }, withKey(k)));
    expectFirstAnswer(first, await call('POST', '/add', { payer, points: 3, timestamp: T0 }, withKey(k)));
    expect((await balance('default')).body[payer]).toBe(3);

    const k2 = key('bare');
    const viaUsers = await call('POST', '/users/default/add', { payer, points: 4, timestamp: T1 }, withKey(k2));
    expect(viaUsers.status).toBe(200);
    expectFirstAnswer(viaUsers, await call('POST', '/add', { payer, points: 4, timestamp: T1 }, withKey(k2)));
    expectProblem(await call('POST', '/add', { payer, points: 5, timestamp: T1 }, withKey(k2)), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect((await balance('default')).body[payer]).toBe(7);
  });

  it('share keys: a spend via /spend is replayed via /users/default/spend', async () => {
    const payer = `bare-idem-${randomUUID()}`;
    // The oldest lot of "default" by far, and spent whole: the spend draws on this payer alone.
    expect((await call('POST', '/add', { payer, points: 1, timestamp: '1900-01-01T00:00:00Z' })).status).toBe(200);
    const k = key('bare');
    const first = await call('POST', '/spend', { points: 1 }, withKey(k));
    expect(first.status).toBe(200);
    expect(first.text).toBe(JSON.stringify([{ payer, points: -1 }]));
    const ledgerAfter = await ledger('default');
    expectFirstAnswer(first, await call('POST', '/users/default/spend', { points: 1 }, withKey(k)));
    expectFirstAnswer(first, await call('POST', '/spend', { points: 1 }, withKey(k)));
    expectProblem(await call('POST', '/users/default/spend', { points: 2 }, withKey(k)), 422, 'IDEMPOTENCY_KEY_REUSED');
    // The replays recorded no spend: the spend with this breakdown appears once in the ledger.
    const spends = (await ledger('default')).filter((item) => item.type === 'spend' && JSON.stringify(item.breakdown) === first.text);
    const spendsBefore = ledgerAfter.filter((item) => item.type === 'spend' && JSON.stringify(item.breakdown) === first.text);
    expect(spends.map((s) => s.id)).toEqual(spendsBefore.map((s) => s.id));
  });
});
