// SPEC "Expiry and reversal" (expiry), over HTTP on the real stack, in real time: lots with an
// `expiresAt` a few seconds ahead stop counting from that instant, leave one `expire` item each,
// recorded before anything recorded after their expiresAt, and are never drawn on again.
import { describe, expect, it } from 'vitest';
import { FifoModel } from './support/fifo-model.js';
import { expectProblem, snapshot } from './support/expect.js';
import { add, addExpiring, balance, call, ledger, newUser, spend } from './support/http.js';
import { checkedState, secondsAhead, timed, utc, waitUntil } from './support/ledger-check.js';

const day = (d: number) => `2022-03-${String(d).padStart(2, '0')}T00:00:00Z`;

/** Sends a lot (with expiresAt when given) to the service and to the model. */
async function lot(user: string, model: FifoModel, payer: string, points: number, timestamp: string, expiresAt?: number) {
  const answer = expiresAt === undefined ? await add(user, payer, points, timestamp) : await addExpiring(user, payer, points, timestamp, utc(expiresAt));
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body).toEqual({ id: expect.any(String), type: 'add', payer, points, timestamp, remaining: points, ...(expiresAt === undefined ? {} : { expiresAt: utc(expiresAt) }) });
  model.add(payer, points, timestamp, timestamp, expiresAt === undefined ? {} : { expiresAt: utc(expiresAt) });
  return answer.body.id as string;
}

describe('expiry in real time', () => {
  it('a lot counts until its expiresAt and not from then on; a balance read 1 s after no longer counts it', async () => {
    const user = newUser('exp-poll');
    const model = new FifoModel();
    const expiresAt = secondsAhead(2000);
    const id = await lot(user, model, 'A', 100, day(1), expiresAt);
    await lot(user, model, 'B', 5, day(2));

    // Poll the balance across the instant, a bounded number of times: answered before it, the lot
    // counts; sent after it, it does not.
    const reads: { start: number; end: number; body: Record<string, number> }[] = [];
    while (Date.now() < expiresAt + 1500) {
      const read = await timed(() => balance(user));
      expect(read.answer.status).toBe(200);
      reads.push({ start: read.start, end: read.end, body: read.answer.body });
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(reads.some((r) => r.end < expiresAt), 'at least one read before expiresAt').toBe(true);
    for (const r of reads) {
      if (r.end < expiresAt) expect(r.body, `read answered ${expiresAt - r.end} ms before expiresAt`).toEqual({ A: 100, B: 5 });
      if (r.start >= expiresAt) expect(r.body, `read sent ${r.start - expiresAt} ms after expiresAt`).toEqual({ A: 0, B: 5 });
    }

    await waitUntil(expiresAt + 1000);
    expect((await balance(user)).body).toEqual({ A: 0, B: 5 });
    model.expire(expiresAt + 1000);
    const { items } = await checkedState(user, model);
    expect(items[2]).toEqual({ id: expect.any(String), type: 'expire', payer: 'A', points: -100, timestamp: utc(expiresAt), lot: id });
    expect(items[0]).toMatchObject({ id, expiresAt: utc(expiresAt), remaining: 0 });
  });

  it('several lots due at once expire in expiresAt order, then order received; a used-up lot leaves no expire item', async () => {
    const user = newUser('exp-many');
    const model = new FifoModel();
    const first = secondsAhead(3000);
    const second = first + 1000;
    const p1 = await lot(user, model, 'A', 100, day(2), second);
    const p2 = await lot(user, model, 'B', 40, day(3), first);
    const p3 = await lot(user, model, 'A', 25, day(4), second);
    await lot(user, model, 'C', 70, day(5));
    await lot(user, model, 'D', 10, day(1), first); // oldest: used up by the spend below
    const spent = await spend(user, 30);
    expect(spent.status, spent.text).toBe(200);
    expect(spent.body).toEqual([
      { payer: 'D', points: -10 },
      { payer: 'A', points: -20 },
    ]);
    expect(model.spend(30)).toEqual(spent.body);
    const before = await timed(() => balance(user));
    expect(before.end, 'setup must finish before the first expiry (machine too slow?)').toBeLessThan(first);
    expect(before.answer.body).toEqual({ D: 0, A: 105, B: 40, C: 70 });

    // Nothing reads the user until both instants are a second past: all three fall due at once.
    await waitUntil(second + 1000);
    const after = await balance(user);
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ D: 0, A: 0, B: 0, C: 70 });
    const expired = model.expire(second + 1000);
    expect(expired.map((e) => e.points)).toEqual([-40, -80, -25]);
    const { items } = await checkedState(user, model);
    expect(items.slice(6)).toEqual([
      { id: expect.any(String), type: 'expire', payer: 'B', points: -40, timestamp: utc(first), lot: p2 },
      { id: expect.any(String), type: 'expire', payer: 'A', points: -80, timestamp: utc(second), lot: p1 },
      { id: expect.any(String), type: 'expire', payer: 'A', points: -25, timestamp: utc(second), lot: p3 },
    ]);

    // What is left is C's 70, to the last point, and A has nothing to deduct from.
    expectProblem(await spend(user, 71), 400, 'INSUFFICIENT_POINTS');
    expectProblem(await add(user, 'A', -1, day(9)), 400, 'INSUFFICIENT_PAYER_POINTS');
    const rest = await spend(user, 70);
    expect(rest.body).toEqual([{ payer: 'C', points: -70 }]);
    expect(model.spend(70)).toEqual(rest.body);
    await checkedState(user, model);
  });

  it.each([
    { first: 'a spend', run: (user: string) => spend(user, 30), status: 200, records: 'spend' },
    { first: 'an add', run: (user: string) => add(user, 'C', 5, day(9)), status: 200, records: 'add' },
    { first: 'a negative add of the expired payer', run: (user: string) => add(user, 'A', -1, day(9)), status: 400, records: 'nothing' },
    { first: 'a ledger read', run: undefined, status: 200, records: 'nothing' },
  ])('the expire item is recorded before $first sent after expiresAt, which never draws on the expired lot', async ({ run, status, records }) => {
    const user = newUser('exp-first');
    const model = new FifoModel();
    const expiresAt = secondsAhead(2000);
    const old = await lot(user, model, 'A', 50, day(1), expiresAt); // older than B's: a spend would take it first
    await lot(user, model, 'B', 50, day(2));
    expect(Date.now(), 'setup must finish before the expiry (machine too slow?)').toBeLessThan(expiresAt);

    await waitUntil(expiresAt + 50);
    if (run) {
      const answer = await run(user);
      expect(answer.status, answer.text).toBe(status);
      if (status === 400) expectProblem(answer, 400, 'INSUFFICIENT_PAYER_POINTS');
    }
    const items = await ledger(user);
    expect(items[2]).toEqual({ id: expect.any(String), type: 'expire', payer: 'A', points: -50, timestamp: utc(expiresAt), lot: old });
    model.expire(expiresAt + 50);
    if (records === 'spend') {
      expect(items[3]).toMatchObject({ type: 'spend', points: -30, breakdown: [{ payer: 'B', points: -30 }] });
      model.spend(30);
    } else if (records === 'add') {
      expect(items[3]).toMatchObject({ type: 'add', payer: 'C', points: 5 });
      model.add('C', 5, day(9));
    }
    expect(items).toHaveLength(records === 'nothing' ? 3 : 4);
    await checkedState(user, model);
    // From now on, too, A has nothing and B is what is spent.
    expectProblem(await add(user, 'A', -1, day(9)), 400, 'INSUFFICIENT_PAYER_POINTS');
    const next = await spend(user, 1);
    expect(next.body).toEqual([{ payer: 'B', points: -1 }]);
  });

  it('an add whose expiresAt has already passed is recorded and expires at once', async () => {
    const user = newUser('exp-past');
    const model = new FifoModel();
    await lot(user, model, 'A', 7, day(1));
    const added = await call('POST', `/users/${user}/add`, { payer: 'A', points: 100, timestamp: '2020-01-01T00:00:00Z', expiresAt: '2020-06-01T00:00:00+02:00' });
    expect(added.status, added.text).toBe(200);
    expect(added.body).toMatchObject({ id: expect.any(String), type: 'add', payer: 'A', points: 100, timestamp: '2020-01-01T00:00:00Z', expiresAt: '2020-05-31T22:00:00Z' });
    model.add('A', 100, '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z', { expiresAt: '2020-05-31T22:00:00Z', now: Date.now() });
    expect((await balance(user)).body).toEqual({ A: 7 });
    const { items } = await checkedState(user, model);
    expect(items.slice(1)).toEqual([
      { ...added.body, remaining: 0 },
      { id: expect.any(String), type: 'expire', payer: 'A', points: -100, timestamp: '2020-05-31T22:00:00Z', lot: added.body.id },
    ]);
    // Older than the lot of 7, but expired: a spend and a deduction only reach the 7.
    expectProblem(await spend(user, 8), 400, 'INSUFFICIENT_POINTS');
    expect((await add(user, 'A', -7, day(9))).status).toBe(200);
    model.add('A', -7, day(9));
    await checkedState(user, model);
  });
});

describe('expiresAt validation', () => {
  const ts = '2030-01-01T10:00:00Z';
  it.each([
    { name: 'on a negative add', body: { payer: 'A', points: -10, timestamp: ts, expiresAt: '2031-01-01T00:00:00Z' } },
    { name: 'equal to the timestamp', body: { payer: 'A', points: 10, timestamp: ts, expiresAt: ts } },
    { name: 'the same instant as the timestamp, written with an offset', body: { payer: 'A', points: 10, timestamp: ts, expiresAt: '2030-01-01T12:00:00+02:00' } },
    { name: 'before the timestamp', body: { payer: 'A', points: 10, timestamp: ts, expiresAt: '2030-01-01T09:59:59.999Z' } },
    ...['2031-02-30T00:00:00Z', '2031-01-01T24:00:00Z', '2031-01-01', '2031-01-01T00:00:00', '2031-01-01T00:00:00+0200', '2031-01-01 00:00:00Z', '2031-01-01T00:00:00+24:00', 'tomorrow', '', 1924992000000, true, { at: '2031-01-01T00:00:00Z' }].map(
      (expiresAt) => ({ name: `as ${JSON.stringify(expiresAt)}`, body: { payer: 'A', points: 10, timestamp: ts, expiresAt } }),
    ),
  ])('an expiresAt $name is refused with 400 VALIDATION_FAILED and changes nothing', async ({ body }) => {
    const user = newUser('exp-bad');
    expect((await add(user, 'A', 50, '2029-01-01T00:00:00Z')).status).toBe(200);
    const before = await snapshot(user);
    expectProblem(await call('POST', `/users/${user}/add`, body), 400, 'VALIDATION_FAILED');
    expect(await snapshot(user)).toEqual(before);
  });

  it('is returned normalised to UTC, in the answer and in the ledger; an add without it shows none', async () => {
    const user = newUser('exp-utc');
    const cases = [
      ['2031-01-01T05:30:00+05:30', '2031-01-01T00:00:00Z'],
      ['2030-12-31T23:00:00-01:00', '2031-01-01T00:00:00Z'],
      ['2031-01-01T00:00:00.250Z', '2031-01-01T00:00:00.250Z'],
    ];
    const ids: string[] = [];
    for (const [written, normal] of cases) {
      const answer = await call('POST', `/users/${user}/add`, { payer: 'A', points: 10, timestamp: ts, expiresAt: written });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toEqual({ id: expect.any(String), type: 'add', payer: 'A', points: 10, timestamp: ts, expiresAt: normal, remaining: 10 });
      ids.push(answer.body.id);
    }
    const plain = await add(user, 'A', 10, ts);
    expect(plain.body).not.toHaveProperty('expiresAt');
    const items = await ledger(user);
    expect(items.map((i) => i.expiresAt)).toEqual([...cases.map(([, normal]) => normal), undefined]);
    expect(items[3]).not.toHaveProperty('expiresAt');
  });
});
