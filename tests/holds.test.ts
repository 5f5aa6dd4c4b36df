// SPEC "Holds and pending points" over HTTP on the real stack: the canonical flows, every refusal
// (changing nothing), keyed retries that replay, concurrent holds, spends and captures for one
// user that never overspend, and a hold that expires by itself.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FifoModel, ledgerSums } from './support/fifo-model.js';
import { expectProblem } from './support/expect.js';
import { add, balance, call, ledger, newUser, spend, type Answer } from './support/http.js';
import { checkedState, secondsAhead, utc, waitUntil } from './support/ledger-check.js';
import { CANONICAL } from './support/canonical.js';


const hold = (user: string, body: unknown, headers?: Record<string, string>) => call('POST', `/users/${user}/holds`, body, headers);
const capture = (user: string, holdId: string, body?: unknown, headers?: Record<string, string>) => call('POST', `/users/${user}/holds/${encodeURIComponent(holdId)}/capture`, body, headers);
const release = (user: string, holdId: string, body?: unknown, headers?: Record<string, string>) => call('POST', `/users/${user}/holds/${encodeURIComponent(holdId)}/release`, body, headers);
const detail = (user: string) => call<Record<string, { available: number; held: number; pending: number }>>('GET', `/users/${user}/balance?view=detail`);

async function seeded(label: string, model?: FifoModel) {
  const user = newUser(label);
  for (const [payer, points, timestamp] of CANONICAL) {
    const answer = await add(user, payer, points, timestamp);
    expect(answer.status, answer.text).toBe(200);
    model?.add(payer, points, timestamp);
  }
  return user;
}

/** Everything a client can observe of a user: balance, balance detail and the whole ledger. */
async function observed(user: string) {
  const [plain, detailed] = await Promise.all([balance(user), detail(user)]);
  return { balance: plain.text, detail: detailed.text, ledger: await ledger(user) };
}

const ok = (answer: Answer): any => {
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
};

describe('holds over HTTP', () => {
  it('the canonical flow: a hold takes what a spend would, a partial capture spends the oldest of it, the rest comes back', async () => {
    const model = new FifoModel();
    const user = await seeded('hold-canon', model);
    const held = ok(await hold(user, { points: 5000 }));
    const modelHold = model.hold(5000, { now: Date.now(), expiresAt: held.expiresAt });
    if ('refused' in modelHold) throw new Error('the model refuses');
    expect(held).toEqual({
      id: expect.any(String),
      type: 'hold',
      points: -5000,
      timestamp: expect.stringMatching(/Z$/),
      expiresAt: expect.stringMatching(/Z$/),
      breakdown: [
        { payer: 'DANNON', points: -100 },
        { payer: 'UNILEVER', points: -200 },
        { payer: 'MILLER COORS', points: -4700 },
      ],
      status: 'held',
      captured: 0,
    });
    // Default expiry: 7 days after it was recorded.
    expect(Date.parse(held.expiresAt) - Date.parse(held.timestamp)).toBe(7 * 86_400_000);
    expect(ok(await balance(user))).toEqual({ DANNON: 1000, UNILEVER: 0, 'MILLER COORS': 5300 });
    expect(ok(await detail(user))).toEqual({
      DANNON: { available: 1000, held: 100, pending: 0 },
      UNILEVER: { available: 0, held: 200, pending: 0 },
      'MILLER COORS': { available: 5300, held: 4700, pending: 0 },
    });

    // Capture 250: what a spend of 250 would have taken when the hold was made.
    const spent = ok(await capture(user, held.id, { points: 250 }));
    expect(spent).toEqual({ id: expect.any(String), type: 'spend', points: -250, timestamp: expect.stringMatching(/Z$/), breakdown: [{ payer: 'DANNON', points: -100 }, { payer: 'UNILEVER', points: -150 }], reversed: 0, hold: held.id });
    expect(model.capture(0, 250)).toEqual(spent.breakdown);
    expect(ok(await balance(user))).toEqual({ DANNON: 1000, UNILEVER: 50, 'MILLER COORS': 10000 });
    const items = await ledger(user);
    expect(items.slice(5)).toEqual([
      { ...held, status: 'captured', captured: 250 },
      spent,
      { id: expect.any(String), type: 'release', hold: held.id, points: 4750, timestamp: spent.timestamp, breakdown: [{ payer: 'MILLER COORS', points: 4700 }, { payer: 'UNILEVER', points: 50 }] },
    ]);
    await checkedState(user, model);

    // A captured spend is reversible like any other.
    const reversed = ok(await call('POST', `/users/${user}/spends/${spent.id}/reverse`, { points: 200 }));
    expect(reversed.breakdown).toEqual([{ payer: 'UNILEVER', points: 150 }, { payer: 'DANNON', points: 50 }]);
    expect(model.reverse(0, 200)).toEqual(reversed.breakdown);
    await checkedState(user, model);
  });

  it('a whole capture records no release; a release gives everything back', async () => {
    const model = new FifoModel();
    const user = await seeded('hold-whole', model);
    const first = ok(await hold(user, { points: 400, expiresAt: utc(Date.now() + 86_400_000) }));
    model.hold(400, { now: Date.now(), expiresAt: first.expiresAt });
    const whole = ok(await capture(user, first.id));
    expect(whole.points).toBe(-400);
    expect(model.capture(0)).toEqual(whole.breakdown);
    expect((await ledger(user)).at(-1)).toEqual(whole);

    const second = ok(await hold(user, { points: 1100 }));
    expect(second.breakdown).toEqual([{ payer: 'MILLER COORS', points: -1100 }]);
    model.hold(1100, { now: Date.now(), expiresAt: second.expiresAt });
    const released = ok(await release(user, second.id));
    expect(released).toEqual({ id: expect.any(String), type: 'release', hold: second.id, points: 1100, timestamp: expect.stringMatching(/Z$/), breakdown: [{ payer: 'MILLER COORS', points: 1100 }] });
    expect(model.release(1)).toEqual(released.breakdown);
    expect((await ledger(user)).find((i) => i.id === second.id)).toMatchObject({ status: 'released', captured: 0 });
    await checkedState(user, model);
  });

  it('pending points: recorded now, echoed, in no balance until availableAt, then ordinary lots', async () => {
    const user = newUser('pending');
    const availableAt = secondsAhead(5000);
    const pending = await call('POST', `/users/${user}/add`, { payer: 'P', points: 70, timestamp: '2020-01-01T00:00:00+01:00', availableAt: new Date(availableAt).toISOString().replace('Z', '+00:00'), expiresAt: utc(availableAt + 3_600_000) });
    expect(ok(pending)).toEqual({ id: expect.any(String), type: 'add', payer: 'P', points: 70, timestamp: '2019-12-31T23:00:00Z', remaining: 70, expiresAt: utc(availableAt + 3_600_000), availableAt: new Date(availableAt).toISOString() });
    ok(await add(user, 'Q', 10, '2021-01-01T00:00:00Z'));
    expect(ok(await balance(user))).toEqual({ P: 0, Q: 10 });
    expect(ok(await detail(user))).toEqual({ P: { available: 0, held: 0, pending: 70 }, Q: { available: 10, held: 0, pending: 0 } });
    const before = await observed(user);
    expectProblem(await spend(user, 11), 400, 'INSUFFICIENT_POINTS');
    expectProblem(await hold(user, { points: 11 }), 400, 'INSUFFICIENT_POINTS');
    expectProblem(await add(user, 'P', -1, '2021-01-01T00:00:00Z'), 400, 'INSUFFICIENT_PAYER_POINTS');
    expect(await observed(user)).toEqual(before);
    // An availableAt already past is an ordinary add (echoed all the same).
    const past = ok(await call('POST', `/users/${user}/add`, { payer: 'Q', points: 5, timestamp: '2021-01-02T00:00:00Z', availableAt: '2021-01-03T00:00:00Z' }));
    expect(past.availableAt).toBe('2021-01-03T00:00:00Z');
    expect(ok(await balance(user))).toEqual({ P: 0, Q: 15 });
    await waitUntil(availableAt);
    expect(ok(await balance(user))).toEqual({ P: 70, Q: 15 });
    // Oldest by timestamp first: P's lot of 2019 before Q's.
    expect(ok(await spend(user, 75))).toEqual([{ payer: 'P', points: -70 }, { payer: 'Q', points: -5 }]);
    const items = await ledger(user);
    expect(ledgerSums(items)).toEqual(ok(await balance(user)));
    expect(items[0]).toMatchObject({ remaining: 0, availableAt: new Date(availableAt).toISOString() });
  });

  it('a hold expires by itself at its expiresAt and its points come back', async () => {
    const user = newUser('hold-exp');
    ok(await add(user, 'A', 100, '2021-01-01T00:00:00Z'));
    const expiresAt = secondsAhead(4000);
    const held = ok(await hold(user, { points: 60, expiresAt: utc(expiresAt) }));
    expect(ok(await balance(user))).toEqual({ A: 40 });
    await waitUntil(expiresAt + 200);
    expect(ok(await balance(user))).toEqual({ A: 100 });
    const items = await ledger(user);
    expect(items.slice(1)).toEqual([
      { ...held, status: 'expired' },
      { id: expect.any(String), type: 'release', hold: held.id, points: 60, timestamp: utc(expiresAt), breakdown: [{ payer: 'A', points: 60 }], expired: true },
    ]);
    const before = await observed(user);
    expectProblem(await capture(user, held.id), 409, 'HOLD_NOT_ACTIVE');
    expectProblem(await release(user, held.id), 409, 'HOLD_NOT_ACTIVE');
    expect(await observed(user)).toEqual(before);
  });
});

describe('refusals change nothing', () => {
  it('every refusal of holds, captures, releases and pending adds', async () => {
    const user = await seeded('hold-refuse');
    const held = ok(await hold(user, { points: 500 }));
    const done = ok(await hold(user, { points: 10 }));
    ok(await release(user, done.id));
    const before = await observed(user);
    const inDays = (days: number) => utc(Date.now() + days * 86_400_000);
    const cases: [Promise<Answer>, number, string][] = [
      [hold(user, { points: 10_801 }), 400, 'INSUFFICIENT_POINTS'],
      [hold(user, { points: 0 }), 400, 'VALIDATION_FAILED'],
      [hold(user, { points: '5' }), 400, 'VALIDATION_FAILED'],
      [hold(user, { points: 5, extra: 1 }), 400, 'VALIDATION_FAILED'],
      [hold(user, { points: 5, expiresAt: utc(Date.now() - 1000) }), 400, 'VALIDATION_FAILED'],
      [hold(user, { points: 5, expiresAt: inDays(31.01) }), 400, 'VALIDATION_FAILED'],
      [hold(user, { points: 5, expiresAt: '2030-02-30T00:00:00Z' }), 400, 'VALIDATION_FAILED'],
      [capture(user, held.id, { points: 501 }), 400, 'EXCEEDS_HOLD'],
      [capture(user, held.id, { points: 0 }), 400, 'VALIDATION_FAILED'],
      [capture(user, held.id, { points: 5, more: true }), 400, 'VALIDATION_FAILED'],
      [release(user, held.id, { points: 5 }), 400, 'VALIDATION_FAILED'],
      // Not held is checked first, even for more points than the hold had.
      [capture(user, done.id, { points: 11 }), 409, 'HOLD_NOT_ACTIVE'],
      [capture(user, done.id), 409, 'HOLD_NOT_ACTIVE'],
      [release(user, done.id), 409, 'HOLD_NOT_ACTIVE'],
      [capture(user, '1-00000000'), 404, 'NOT_FOUND'],
      [release(user, 'no-such-hold'), 404, 'NOT_FOUND'],
      // A spend's id is not a hold's, and a hold's is not a spend's.
      [release(user, CANONICAL.length > 0 ? before.ledger[0].id : ''), 404, 'NOT_FOUND'],
      [call('POST', `/users/${user}/spends/${held.id}/reverse`, {}), 404, 'NOT_FOUND'],
      [call('POST', `/users/${user}/add`, { payer: 'A', points: -5, timestamp: '2022-01-01T00:00:00Z', availableAt: '2030-01-01T00:00:00Z' }), 400, 'VALIDATION_FAILED'],
      [call('POST', `/users/${user}/add`, { payer: 'A', points: 5, timestamp: '2022-01-01T00:00:00Z', availableAt: '2030-01-01T00:00:00Z', expiresAt: '2030-01-01T00:00:00Z' }), 400, 'VALIDATION_FAILED'],
      [call('POST', `/users/${user}/add`, { payer: 'A', points: 5, timestamp: '2022-01-01T00:00:00Z', availableAt: 'soon' }), 400, 'VALIDATION_FAILED'],
      [call('GET', `/users/${user}/balance?view=everything`), 400, 'VALIDATION_FAILED'],
      [call('GET', `/users/${user}/holds`), 405, 'METHOD_NOT_ALLOWED'],
    ];
    for (const [sent, status, code] of cases) expectProblem(await sent, status, code);
    expect(await observed(user)).toEqual(before);
  });

  it('held and pending points count towards 2^53 - 1', async () => {
    const user = newUser('hold-limit');
    const max = Number.MAX_SAFE_INTEGER;
    ok(await add(user, 'A', max - 10, '2022-01-01T00:00:00Z'));
    ok(await hold(user, { points: max - 20 }));
    ok(await call('POST', `/users/${user}/add`, { payer: 'B', points: 5, timestamp: '2022-01-01T00:00:00Z', availableAt: utc(Date.now() + 86_400_000) }));
    const before = await observed(user);
    expectProblem(await add(user, 'A', 11, '2022-01-02T00:00:00Z'), 400, 'LIMIT_EXCEEDED');
    expectProblem(await add(user, 'C', 6, '2022-01-02T00:00:00Z'), 400, 'LIMIT_EXCEEDED');
    expectProblem(await call('POST', `/users/${user}/add`, { payer: 'B', points: 6, timestamp: '2022-01-01T00:00:00Z', availableAt: utc(Date.now() + 86_400_000) }), 400, 'LIMIT_EXCEEDED');
    expect(await observed(user)).toEqual(before);
    ok(await add(user, 'A', 5, '2022-01-02T00:00:00Z'));
  });
});

describe('keyed retries and concurrency', () => {
  it('keyed retries of hold, capture and release replay the first answer', async () => {
    const user = await seeded('hold-keys');
    const key = () => ({ 'Idempotency-Key': `k-${randomUUID()}` });
    const holdKey = key();
    const first = await hold(user, { points: 300 }, holdKey);
    const again = await hold(user, { points: 300 }, holdKey);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expectProblem(await hold(user, { points: 301 }, holdKey), 422, 'IDEMPOTENCY_KEY_REUSED');
    const captureKey = key();
    const captured = await capture(user, first.body.id, { points: 100 }, captureKey);
    expect(captured.status, captured.text).toBe(200);
    expect((await capture(user, first.body.id, { points: 100 }, captureKey)).text).toBe(captured.text);
    // The same key on another hold is another request.
    const second = ok(await hold(user, { points: 50 }));
    expectProblem(await capture(user, second.id, { points: 100 }, captureKey), 422, 'IDEMPOTENCY_KEY_REUSED');
    const releaseKey = key();
    const released = await release(user, second.id, undefined, releaseKey);
    expect(released.status, released.text).toBe(200);
    const replay = await release(user, second.id, undefined, releaseKey);
    expect(replay.text).toBe(released.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    // A refusal is replayed too, even after the hold's state would answer otherwise.
    const refusedKey = key();
    expectProblem(await release(user, first.body.id, {}, refusedKey), 409, 'HOLD_NOT_ACTIVE');
    expectProblem(await release(user, first.body.id, {}, refusedKey), 409, 'HOLD_NOT_ACTIVE');
    const items = await ledger(user);
    expect(items.filter((i) => i.type === 'hold')).toHaveLength(2);
    expect(items.filter((i) => i.type === 'spend')).toHaveLength(1);
    expect(items.filter((i) => i.type === 'release')).toHaveLength(2);
  });

  it('concurrent holds, spends, captures and releases for one user never overspend', async () => {
    const user = newUser('hold-race');
    for (let i = 0; i < 10; i++) ok(await add(user, ['A', 'B'][i % 2]!, 100, `2022-01-01T00:00:${String(i).padStart(2, '0')}Z`));
    const holds = await Promise.all(Array.from({ length: 8 }, () => hold(user, { points: 70 })));
    const spends = await Promise.all(Array.from({ length: 8 }, () => spend(user, 70)));
    const answers = [...holds, ...spends];
    for (const answer of answers) if (answer.status !== 200) expectProblem(answer, 400, 'INSUFFICIENT_POINTS');
    const accepted = answers.filter((a) => a.status === 200).length;
    expect(accepted).toBe(14); // 1000 points: 14 takes of 70, not 15
    const heldIds = holds.filter((a) => a.status === 200).map((a) => a.body.id);
    // Racing captures and releases of the same holds: each hold ends exactly once.
    const ends = await Promise.all(heldIds.flatMap((id, i) => [capture(user, id, { points: 10 + i }), release(user, id), spend(user, 30)]));
    const byHold = heldIds.map((_, i) => ends.slice(3 * i, 3 * i + 2));
    for (const pair of byHold) {
      expect(pair.filter((a) => a.status === 200)).toHaveLength(1);
      for (const a of pair) if (a.status !== 200) expectProblem(a, 409, 'HOLD_NOT_ACTIVE');
    }
    const items = await ledger(user);
    const shown = ok(await balance(user));
    expect(ledgerSums(items)).toEqual(shown);
    expect(Object.values(shown).every((v) => (v as number) >= 0)).toBe(true);
    const captured = items.filter((i) => i.type === 'spend' && i.hold).reduce((n, i) => n - i.points, 0);
    const plain = items.filter((i) => i.type === 'spend' && !i.hold).reduce((n, i) => n - i.points, 0);
    expect(Object.values(shown).reduce((a: number, b) => a + (b as number), 0)).toBe(1000 - captured - plain);
    await checkedState(user);
  });
});
