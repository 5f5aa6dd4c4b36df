// SPEC "Expiry and reversal" (reversal), over HTTP on the real stack: points go back into the
// exact lots, last taken first; partial and whole reversals until nothing is left; refusals;
// keyed retries; a reversal racing spends; points given back to an expired lot expire at once.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FifoModel, inPool, isoAfter, replayLedger, type Breakdown } from './support/fifo-model.js';
import { expectProblem, snapshot } from './support/expect.js';
import { add, addExpiring, apiUrl, balance, call, ledger, newUser, reverse, spend, type Answer } from './support/http.js';
import { checkedState, secondsAhead, timed, utc, waitUntil } from './support/ledger-check.js';
import { CANONICAL } from './support/canonical.js';


async function seed(user: string, model: FifoModel, lots: [string, number, string][]) {
  for (const [payer, points, timestamp] of lots) {
    const answer = await add(user, payer, points, timestamp);
    expect(answer.status, answer.text).toBe(200);
    model.add(payer, points, timestamp);
  }
}

/** A new user with the canonical adds and one spend of `points`, over HTTP and in a model. */
async function canonicalSpent(label: string, points: number) {
  const user = newUser(label);
  const model = new FifoModel();
  await seed(user, model, CANONICAL);
  return { user, model, spendId: await spendRecorded(user, model, points) };
}

/** A spend over HTTP and in the model; returns its ledger id. */
async function spendRecorded(user: string, model: FifoModel, points: number): Promise<string> {
  const spent = await spend(user, points);
  expect(spent.status, spent.text).toBe(200);
  expect(spent.body).toEqual(model.spend(points));
  const last = (await ledger(user)).at(-1);
  expect(last).toMatchObject({ type: 'spend', points: -points, breakdown: spent.body, reversed: 0 });
  return last.id;
}

/** A reversal's answer is the recorded reversal: SPEC's shape, stamped while it ran. */
function expectReversal(sent: { start: number; end: number; answer: Answer<any> }, spendId: string, points: number, breakdown: Breakdown) {
  const { answer } = sent;
  expect(answer.status, answer.text).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.body).toEqual({ id: expect.any(String), type: 'reversal', spend: spendId, points, timestamp: expect.stringMatching(/Z$/), breakdown });
  const at = Date.parse(answer.body.timestamp);
  expect(at).toBeGreaterThanOrEqual(sent.start - 1);
  expect(at).toBeLessThanOrEqual(sent.end + 1);
}

/** Reverses over HTTP and in the model (spend `index`), checking the answer against the model. */
async function reverseChecked(user: string, model: FifoModel, spendId: string, index: number, points?: number, headers?: Record<string, string>) {
  const sent = await timed(() => reverse(user, spendId, points === undefined ? {} : { points }, headers));
  const expected = model.reverse(index, points);
  if ('refused' in expected) throw new Error(`the model refuses: ${expected.refused}`);
  expectReversal(sent, spendId, points ?? expected.reduce((n, e) => n + e.points, 0), expected);
  return sent.answer;
}

describe('reversal of the canonical spend', () => {
  it('gives back the last-taken points first, in several partial reversals, then refuses with EXCEEDS_SPEND', async () => {
    const { user, model, spendId } = await canonicalSpent('rev-canon', 5000);

    await reverseChecked(user, model, spendId, 0, 4700);
    // What stays spent is what a spend of 300 would have taken: DANNON 100, UNILEVER 200.
    expect((await balance(user)).body).toEqual({ DANNON: 1000, UNILEVER: 0, 'MILLER COORS': 10000 });
    const partial = await reverseChecked(user, model, spendId, 0, 150);
    expect(partial.body.breakdown).toEqual([{ payer: 'UNILEVER', points: 150 }]);
    const crossing = await reverseChecked(user, model, spendId, 0, 100);
    expect(crossing.body.breakdown).toEqual([
      { payer: 'UNILEVER', points: 50 },
      { payer: 'DANNON', points: 50 },
    ]);
    expect((await ledger(user)).find((item) => item.id === spendId).reversed).toBe(4950);

    const before = await snapshot(user);
    const tooMuch = await reverse(user, spendId, { points: 51 });
    expectProblem(tooMuch, 400, 'EXCEEDS_SPEND');
    expect(await snapshot(user)).toEqual(before);

    const rest = await reverseChecked(user, model, spendId, 0);
    expect(rest.body).toMatchObject({ points: 50, breakdown: [{ payer: 'DANNON', points: 50 }] });
    for (const body of [{}, { points: 1 }]) expectProblem(await reverse(user, spendId, body), 400, 'EXCEEDS_SPEND');
    expect(await snapshot(user)).not.toEqual(before);
    const { items, balance: after } = await checkedState(user, model);
    expect(after).toEqual({ DANNON: 1100, UNILEVER: 200, 'MILLER COORS': 10000 });
    expect(items.find((item) => item.id === spendId).reversed).toBe(5000);
    expect(items.filter((item) => item.type === 'reversal')).toHaveLength(4);

    // Every point is back in its own lot: the same spend again takes exactly the same.
    const again = await spend(user, 5000);
    expect(again.body).toEqual([
      { payer: 'DANNON', points: -100 },
      { payer: 'UNILEVER', points: -200 },
      { payer: 'MILLER COORS', points: -4700 },
    ]);
  });

  it.each([
    { form: 'no body and no content type', send: (user: string, id: string) => fetch(`${apiUrl()}/users/${user}/spends/${id}/reverse`, { method: 'POST' }) },
    { form: 'an empty body with a JSON content type', send: (user: string, id: string) => fetch(`${apiUrl()}/users/${user}/spends/${id}/reverse`, { method: 'POST', headers: { 'content-type': 'application/json' } }) },
    { form: '{}', send: (user: string, id: string) => fetch(`${apiUrl()}/users/${user}/spends/${id}/reverse`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }) },
  ])('with $form reverses everything not yet reversed', async ({ send }) => {
    const { user, model, spendId } = await canonicalSpent('rev-whole', 5000);
    await reverseChecked(user, model, spendId, 0, 4000);
    const start = Date.now();
    const response = await send(user, spendId);
    const answer: Answer<any> = { status: response.status, headers: response.headers, text: await response.text(), body: undefined };
    answer.body = answer.status === 200 ? JSON.parse(answer.text) : answer.text;
    expectReversal({ start, end: Date.now(), answer }, spendId, 1000, model.reverse(0) as Breakdown);
    expect(answer.body.breakdown).toEqual([
      { payer: 'MILLER COORS', points: 700 },
      { payer: 'UNILEVER', points: 200 },
      { payer: 'DANNON', points: 100 },
    ]);
    await checkedState(user, model);
  });
});

/** `n` old lots (payers in runs of 5, 1-3 points, sent in a shuffled order) and 3 newer ones. */
function manyLots(n: number): [string, number, string][] {
  const base = '2021-06-01T00:00:00Z';
  const old = Array.from({ length: n }, (_, rank): [string, number, string] => [['P', 'Q', 'R'][Math.floor(rank / 5) % 3]!, 1 + (rank % 3) + (n === 1 ? 4 : 0), isoAfter(base, rank * 60)]);
  const shuffled = old.map((lot, i) => ({ lot, k: (i * 7919 + 13) % 10007 })).sort((a, b) => a.k - b.k).map(({ lot }) => lot);
  return [...shuffled, ['NEW', 20, isoAfter(base, (n + 5) * 60)], ['R', 30, isoAfter(base, (n + 6) * 60)], ['NEW', 40, isoAfter(base, (n + 7) * 60)]];
}

describe.concurrent('reversal of spends over many lots', () => {
  // Each plan reverses in steps (undefined: everything left), then a last step must be refused.
  for (const { n, steps } of [
    { n: 1, steps: [1, undefined] },
    { n: 250, steps: [1, 7, 200, undefined] },
    { n: 1000, steps: [undefined] },
  ]) {
    it(`reverses a ${n}-lot spend into the exact lots, in steps ${JSON.stringify(steps)}, then refuses more`, async () => {
      const user = newUser(`rev${n}`);
      const lots = manyLots(n);
      // Concurrent adds, to load quickly; the model then takes them in the order recorded.
      await inPool(lots.length, 8, async (i) => {
        const [payer, points, timestamp] = lots[i]!;
        const answer = await add(user, payer, points, timestamp);
        expect(answer.status, answer.text).toBe(200);
      });
      const model = replayLedger(await ledger(user));
      const full = model.balanceObject();
      const points = lots.slice(0, n).reduce((s, [, p]) => s + p, 0); // exactly the n old lots
      const spendId = await spendRecorded(user, model, points);
      const first = model.items.at(-1);

      for (const [i, step] of steps.entries()) {
        const key = `rev-${randomUUID()}`;
        const answer = await reverseChecked(user, model, spendId, 0, step, { 'Idempotency-Key': key });
        if (i === 0) {
          const replay = await reverse(user, spendId, step === undefined ? {} : { points: step }, { 'Idempotency-Key': key });
          expect(replay.status).toBe(200);
          expect(replay.text).toBe(answer.text);
        }
        expect((await balance(user)).body).toEqual(model.balanceObject());
      }
      expectProblem(await reverse(user, spendId, {}), 400, 'EXCEEDS_SPEND');
      expectProblem(await reverse(user, spendId, { points: 1 }), 400, 'EXCEEDS_SPEND');
      const { items, balance: after } = await checkedState(user, model);
      expect(after).toEqual(full);
      expect(items.filter((item) => item.type === 'add').every((item) => item.remaining === item.points)).toBe(true);
      expect(items.find((item) => item.id === spendId)).toMatchObject({ reversed: points });

      // The same spend again takes exactly what the first one took.
      const again = await spend(user, points);
      expect(again.body).toEqual(first?.type === 'spend' ? first.breakdown : undefined);
    }, 600_000);
  }
});

describe('refusals', () => {
  it('an unknown spend id, an id that is not a spend, and another user’s spend are 404 NOT_FOUND and change nothing', async () => {
    const { user, model, spendId } = await canonicalSpent('rev-404', 10);
    const other = newUser('rev-404');
    const otherModel = new FifoModel();
    await seed(other, otherModel, [['X', 50, '2022-01-01T00:00:00Z']]);
    const otherSpend = await spendRecorded(other, otherModel, 5);
    const reversal = (await reverseChecked(user, model, spendId, 0, 1)).body.id as string;
    const items = await ledger(user);
    const before = { user: await snapshot(user), other: await snapshot(other) };
    const ids = [randomUUID(), 'no-such-spend', items[0].id, items[2].id, reversal, otherSpend];
    for (const id of ids) expectProblem(await reverse(user, id, {}), 404, 'NOT_FOUND');
    expectProblem(await reverse(user, otherSpend, { points: 1 }), 404, 'NOT_FOUND');
    // The bare route acts on the user "default", who has neither spend.
    for (const id of [spendId, otherSpend]) expectProblem(await call('POST', `/spends/${id}/reverse`, {}), 404, 'NOT_FOUND');
    expect(await snapshot(user)).toEqual(before.user);
    expect(await snapshot(other)).toEqual(before.other);
  });

  it.each([
    { name: 'points 0', body: { points: 0 } },
    { name: 'negative points', body: { points: -5 } },
    { name: 'fractional points', body: { points: 1.5 } },
    { name: 'points as a string', body: { points: '5' } },
    { name: 'points null', body: { points: null } },
    { name: 'points true', body: { points: true } },
    { name: 'points 1e400', body: '{"points":1e400}' },
    { name: 'an unknown field next to points', body: { points: 5, extra: 1 } },
    { name: 'only an unknown field', body: { spend: 'x' } },
    { name: 'a body that is not JSON', body: '{"points":' },
    { name: 'a JSON array', body: '[5]' },
    { name: 'a JSON number', body: '5' },
  ])('a body with $name is 400 VALIDATION_FAILED and changes nothing', async ({ body }) => {
    const { user, spendId } = await canonicalSpent('rev-bad', 500);
    const before = await snapshot(user);
    expectProblem(await reverse(user, spendId, body), 400, 'VALIDATION_FAILED');
    expect(await snapshot(user)).toEqual(before);
  });
});

describe('keyed retries', () => {
  it('a retry gets the same answer and is applied once; the key with another body is 422; a keyed refusal replays', async () => {
    const { user, model, spendId } = await canonicalSpent('rev-key', 5000);
    const key = { 'Idempotency-Key': `rev-${randomUUID()}` };
    const first = await reverseChecked(user, model, spendId, 0, 300, key);
    const after = await snapshot(user);
    // Concurrent duplicates, then a late one: the first answer or 409 while it runs, never a second reversal.
    const duplicates = await Promise.all(Array.from({ length: 6 }, () => reverse(user, spendId, { points: 300 }, key)));
    for (const answer of [...duplicates, await reverse(user, spendId, { points: 300 }, key)]) {
      expect([200, 409], answer.text).toContain(answer.status);
      if (answer.status === 200) {
        expect(answer.text).toBe(first.text);
        expect(answer.headers.get('idempotent-replayed')).toBe('true');
      } else expectProblem(answer, 409, 'IDEMPOTENCY_IN_PROGRESS');
    }
    expect(await snapshot(user)).toEqual(after);
    for (const body of [{ points: 301 }, {}, undefined]) expectProblem(await reverse(user, spendId, body, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await snapshot(user)).toEqual(after);

    // A refusal under a key is what a retry gets, and it records nothing.
    const refusedKey = { 'Idempotency-Key': `rev-${randomUUID()}` };
    const another = await spendRecorded(user, model, 10);
    const refused = await reverse(user, another, { points: 11 }, refusedKey);
    expectProblem(refused, 400, 'EXCEEDS_SPEND');
    const retried = await reverse(user, another, { points: 11 }, refusedKey);
    expect({ status: retried.status, text: retried.text }).toEqual({ status: 400, text: refused.text });
    const { items } = await checkedState(user, model);
    expect(items.filter((item) => item.type === 'reversal')).toHaveLength(1);
    expect(items.find((item) => item.id === spendId).reversed).toBe(300);
  });
});

describe('reversal into an expired lot', () => {
  it('points given back to a lot that expired meanwhile expire at once: an expire item follows, the balance does not grow', async () => {
    const user = newUser('rev-exp');
    const model = new FifoModel();
    const expiresAt = secondsAhead(3000);
    const lotA = await addExpiring(user, 'A', 100, '2022-01-01T00:00:00Z', utc(expiresAt));
    expect(lotA.status, lotA.text).toBe(200);
    model.add('A', 100, '2022-01-01T00:00:00Z', '2022-01-01T00:00:00Z', { expiresAt: utc(expiresAt) });
    await seed(user, model, [['B', 100, '2022-01-02T00:00:00Z']]);
    const spendId = await spendRecorded(user, model, 150);
    expect(Date.now(), 'setup must finish before the expiry (machine too slow?)').toBeLessThan(expiresAt);

    await waitUntil(expiresAt + 50);
    // A's lot was used up when it expired: nothing to expire, so no expire item yet.
    expect((await balance(user)).body).toEqual({ A: 0, B: 50 });
    model.expire(expiresAt + 50);
    const partial = await reverseChecked(user, model, spendId, 0, 120);
    expect(partial.body.breakdown).toEqual([
      { payer: 'B', points: 50 },
      { payer: 'A', points: 70 },
    ]);
    expect((await balance(user)).body).toEqual({ A: 0, B: 100 });
    let items = (await checkedState(user, model)).items;
    expect(items.slice(3)).toEqual([
      partial.body,
      { id: expect.any(String), type: 'expire', payer: 'A', points: -70, timestamp: utc(expiresAt), lot: lotA.body.id },
    ]);
    expect(items[0]).toMatchObject({ remaining: 0 });
    expect(items[2]).toMatchObject({ reversed: 120 });

    const rest = await reverseChecked(user, model, spendId, 0);
    expect(rest.body.breakdown).toEqual([{ payer: 'A', points: 30 }]);
    items = (await checkedState(user, model)).items;
    expect(items.at(-1)).toEqual({ id: expect.any(String), type: 'expire', payer: 'A', points: -30, timestamp: utc(expiresAt), lot: lotA.body.id });
    expect((await balance(user)).body).toEqual({ A: 0, B: 100 });
    expectProblem(await spend(user, 101), 400, 'INSUFFICIENT_POINTS');
    expect((await spend(user, 100)).body).toEqual([{ payer: 'B', points: -100 }]);
  });
});

describe('a reversal racing spends of the same user', () => {
  const classify = (answers: Answer<any>[], refusal: string) =>
    answers.map((answer) => {
      expect([200, 400], answer.text).toContain(answer.status);
      if (answer.status === 400) expectProblem(answer, 400, refusal);
      return answer.status === 200;
    });

  it('a whole reversal and a spend that fits only after it: either order, the ledger is one serial history', async () => {
    const users = Array.from({ length: 4 }, () => newUser('rev-race'));
    await Promise.all(
      users.map(async (user) => {
        const model = new FifoModel();
        await seed(user, model, [
          ['A', 100, '2022-01-01T00:00:00Z'],
          ['B', 100, '2022-01-02T00:00:00Z'],
        ]);
        const spendId = await spendRecorded(user, model, 100);
        const [reversed, spent] = await Promise.all([reverse(user, spendId, {}), spend(user, 150)]);
        expect(reversed.status, reversed.text).toBe(200);
        const [spentOk] = classify([spent], 'INSUFFICIENT_POINTS');
        const items = (await checkedState(user)).items;
        // Refused, the spend came first; accepted, it came after and drew on A's lot given back.
        expect(items.slice(3).map((item) => item.type)).toEqual(spentOk ? ['reversal', 'spend'] : ['reversal']);
        if (spentOk) expect(spent.body).toEqual([
          { payer: 'A', points: -100 },
          { payer: 'B', points: -50 },
        ]);
        expect(items[3]).toEqual(reversed.body);
      }),
    );
  });

  it('12 partial reversals and 10 spends at once: no 409 or 5xx, each answer is its ledger item, the model accepts the order', async () => {
    const user = newUser('rev-race');
    const model = new FifoModel();
    await seed(user, model, [
      ['A', 100, '2022-01-01T00:00:00Z'],
      ['B', 100, '2022-01-02T00:00:00Z'],
      ['C', 100, '2022-01-03T00:00:00Z'],
    ]);
    const spendId = await spendRecorded(user, model, 150);
    const answers = await Promise.all([
      ...Array.from({ length: 12 }, () => reverse(user, spendId, { points: 15 })),
      ...Array.from({ length: 10 }, (_, i) => spend(user, 20 + i)),
    ]);
    const reversalsOk = classify(answers.slice(0, 12), 'EXCEEDS_SPEND');
    const spendsOk = classify(answers.slice(12), 'INSUFFICIENT_POINTS');
    expect(reversalsOk.filter(Boolean)).toHaveLength(10); // 150 points, 15 at a time
    const { items } = await checkedState(user);
    const byId = new Map(items.map((item) => [item.id, item]));
    answers.slice(0, 12).forEach((answer, i) => {
      if (reversalsOk[i]) expect(byId.get(answer.body.id)).toEqual(answer.body);
    });
    const recordedSpends = items.slice(4).filter((item) => item.type === 'spend'); // after 3 adds and the raced spend
    expect(recordedSpends.map((item) => JSON.stringify([item.points, item.breakdown])).sort()).toEqual(
      answers
        .slice(12)
        .flatMap((answer, i) => (spendsOk[i] ? [JSON.stringify([-(20 + i), answer.body])] : []))
        .sort(),
    );
    expect(items[3]).toMatchObject({ id: spendId, reversed: 150 });
  });
});
