// SPEC "Guarantees" under real concurrent HTTP requests for one user: serializable (no overspend,
// no payer below zero, balances equal the ledger), no 409 or 5xx from contention, idempotent
// requests applied once.
import { describe, expect, it, vi } from 'vitest';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { spendBodySchema } from '../lib/domain/schemas/spend.js';
import { PointsService } from '../lib/service/service.js';
import { ConflictError } from '../lib/service/store.js';
import { FifoModel, comparable } from './support/fifo-model.js';
import { add, balance, ledger, newUser, spend, type Answer } from './support/http.js';
import { makeStore } from './support/store.js';

type Breakdown = { payer: string; points: number }[];

/**
 * Replays the ledger one record at a time in the order it was recorded, through the model of
 * SPEC's rules. If the service ran the concurrent requests as if one at a time, every spend's
 * breakdown, every lot's `remaining` and every balance is what this serial replay computes.
 */
function replay(items: any[]): Map<string, number> {
  const model = new FifoModel();
  items.forEach((item, order) => {
    if (item.type === 'add') expect(model.add(item.payer, item.points, item.timestamp), `add #${order}`).not.toHaveProperty('refused');
    else expect(item.breakdown, `spend #${order} of ${item.points}`).toEqual(model.spend(-item.points));
    for (const [payer, n] of model.balances) expect(n, `payer ${payer} after record #${order}`).toBeGreaterThanOrEqual(0);
  });
  expect(comparable(items)).toEqual(model.ledger());
  return model.balances;
}

const total = (balances: Record<string, number>) => Object.values(balances).reduce((a, b) => a + b, 0);
const sortedJson = (breakdown: Breakdown) => JSON.stringify(breakdown);

/** The ledger (followed over several pages), checked record by record against the balances. */
async function checkedLedger(user: string): Promise<any[]> {
  const items = await ledger(user, 7);
  const ids = items.map((item) => item.id);
  expect(new Set(ids).size).toBe(ids.length);
  const replayed = replay(items);
  const shown = (await balance(user)).body;
  expect(Object.entries(shown).sort()).toEqual([...replayed].sort());
  return items;
}

/** Every answer is 200 or the one refusal expected; never a 409 or a 5xx. */
function split(answers: Answer<any>[], refusal: string): { accepted: Answer<any>[]; refused: Answer<any>[] } {
  for (const answer of answers) {
    expect([200, 400], answer.text).toContain(answer.status);
    if (answer.status === 400) {
      expect(answer.body.code, answer.text).toBe(refusal);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  }
  return { accepted: answers.filter((a) => a.status === 200), refused: answers.filter((a) => a.status === 400) };
}

/** Multiset equality of spends: each accepted answer matches exactly one ledger spend. */
function expectSameSpends(ledgerSpends: any[], accepted: { points: number; breakdown: Breakdown }[]) {
  const key = (s: { points: number; breakdown: Breakdown }) => `${s.points} ${sortedJson(s.breakdown)}`;
  expect(ledgerSpends.map(key).sort()).toEqual(accepted.map(key).sort());
}

const hour = (h: number) => new Date(Date.UTC(2022, 9, 1, h)).toISOString().replace('.000Z', 'Z');

async function seed(user: string, lots: [string, number, string][]) {
  for (const [payer, points, timestamp] of lots) {
    const answer = await add(user, payer, points, timestamp);
    expect(answer.status, answer.text).toBe(200);
  }
}

describe('concurrent requests for one user', () => {
  it('40 concurrent spends worth more than the balance: no overspend, each accepted spend recorded once', async () => {
    const user = newUser('conc-spend');
    const lots: [string, number, string][] = [
      ['A', 100, hour(1)],
      ['B', 200, hour(2)],
      ['C', 120, hour(3)],
      ['D', 300, hour(4)],
      ['A', 150, hour(5)],
      ['B', 50, hour(6)],
      ['C', 40, hour(0)], // recorded later, but oldest
    ];
    await seed(user, lots);
    const initial = (await balance(user)).body;
    const initialTotal = lots.reduce((n, [, p]) => n + p, 0);
    expect(total(initial)).toBe(initialTotal);

    const amounts = Array.from({ length: 40 }, (_, i) => 10 + ((i * 37) % 50));
    expect(amounts.reduce((a, b) => a + b, 0)).toBeGreaterThan(initialTotal);
    const answers = await Promise.all(amounts.map((points) => spend(user, points)));

    const { accepted, refused } = split(answers, 'INSUFFICIENT_POINTS');
    expect(refused.length).toBeGreaterThan(0);
    const acceptedAmounts = answers.flatMap((a, i) => (a.status === 200 ? [amounts[i]!] : []));
    const refusedAmounts = answers.flatMap((a, i) => (a.status === 400 ? [amounts[i]!] : []));
    const spent = acceptedAmounts.reduce((a, b) => a + b, 0);
    expect(spent).toBeLessThanOrEqual(initialTotal);

    // Each accepted answer is a breakdown of exactly its points, one negative entry per payer.
    const drawn = new Map<string, number>();
    accepted.forEach((answer, i) => {
      const breakdown: Breakdown = answer.body;
      expect(breakdown.reduce((n, e) => n + e.points, 0)).toBe(-acceptedAmounts[i]!);
      expect(new Set(breakdown.map((e) => e.payer)).size).toBe(breakdown.length);
      for (const { payer, points } of breakdown) {
        expect(points).toBeLessThan(0);
        drawn.set(payer, (drawn.get(payer) ?? 0) + points);
      }
    });

    const after = (await balance(user)).body;
    expect(Object.keys(after).sort()).toEqual(Object.keys(initial).sort());
    for (const payer of Object.keys(initial)) {
      expect(after[payer], payer).toBe(initial[payer]! + (drawn.get(payer) ?? 0));
      expect(after[payer], payer).toBeGreaterThanOrEqual(0);
    }
    expect(total(after)).toBe(initialTotal - spent);
    // Balances only fell, so every refused spend was larger than what is left now.
    expect(total(after)).toBeLessThan(Math.min(...refusedAmounts));

    const items = await checkedLedger(user);
    const spends = items.filter((item) => item.type === 'spend');
    expectSameSpends(
      spends,
      accepted.map((a, i) => ({ points: -acceptedAmounts[i]!, breakdown: a.body })),
    );
  });

  it('20 concurrent negative adds on one payer worth more than its balance: the payer never goes below zero', async () => {
    const user = newUser('conc-neg');
    await seed(user, [
      ['A', 100, hour(1)],
      ['B', 500, hour(2)],
      ['A', 80, hour(3)],
      ['A', 60, hour(0)],
    ]);
    const initial = (await balance(user)).body;
    expect(initial).toEqual({ A: 240, B: 500 });

    const amounts = Array.from({ length: 20 }, (_, i) => 10 + ((i * 29) % 58));
    expect(amounts.reduce((a, b) => a + b, 0)).toBeGreaterThan(initial.A!);
    const answers = await Promise.all(amounts.map((points, i) => add(user, 'A', -points, hour(10 + i))));

    const { accepted, refused } = split(answers, 'INSUFFICIENT_PAYER_POINTS');
    expect(refused.length).toBeGreaterThan(0);
    const deducted = answers.reduce((n, a, i) => n + (a.status === 200 ? amounts[i]! : 0), 0);
    const refusedAmounts = answers.flatMap((a, i) => (a.status === 400 ? [amounts[i]!] : []));
    expect(deducted).toBeLessThanOrEqual(initial.A!);
    for (const [i, answer] of answers.entries()) {
      if (answer.status === 200) expect(answer.body).toMatchObject({ type: 'add', payer: 'A', points: -amounts[i]! });
    }

    const after = (await balance(user)).body;
    expect(after).toEqual({ A: initial.A! - deducted, B: 500 });
    expect(after.A).toBeGreaterThanOrEqual(0);
    expect(after.A).toBeLessThan(Math.min(...refusedAmounts));

    const items = await checkedLedger(user);
    const negatives = items.filter((item) => item.type === 'add' && item.points < 0);
    expect(negatives.map((item) => item.id).sort()).toEqual(accepted.map((a) => a.body.id).sort());
    // B's lot was never touched.
    expect(items.find((item) => item.payer === 'B')).toMatchObject({ points: 500, remaining: 500 });
  });

  it('concurrent adds, negative adds and spends: the balance is what the accepted ones add up to', async () => {
    const user = newUser('conc-mixed');
    await seed(user, [
      ['A', 200, hour(5)],
      ['B', 150, hour(6)],
    ]);
    const initialTotal = 350;

    type Op = { kind: 'add'; payer: string; points: number; timestamp: string } | { kind: 'spend'; points: number };
    const ops: Op[] = [];
    for (let i = 0; i < 15; i++) {
      // Some lots are older than the seeded ones, so later spends reach back to them first.
      ops.push({ kind: 'add', payer: ['A', 'B', 'C'][i % 3]!, points: 20 + i * 3, timestamp: hour(i % 2 === 0 ? 1 + (i % 4) : 8 + i) });
      ops.push({ kind: 'spend', points: 30 + ((i * 17) % 40) });
    }
    for (let i = 0; i < 5; i++) ops.push({ kind: 'add', payer: i % 2 ? 'A' : 'C', points: -(25 + i * 10), timestamp: hour(20 + i) });

    const answers = await Promise.all(ops.map((op) => (op.kind === 'spend' ? spend(user, op.points) : add(user, op.payer, op.points, op.timestamp))));

    let expected = initialTotal;
    const acceptedSpends: { points: number; breakdown: Breakdown }[] = [];
    const acceptedAddIds: string[] = [];
    for (const [i, answer] of answers.entries()) {
      const op = ops[i]!;
      expect([200, 400], answer.text).toContain(answer.status);
      if (op.kind === 'spend') {
        if (answer.status === 400) expect(answer.body.code).toBe('INSUFFICIENT_POINTS');
        else {
          expected -= op.points;
          acceptedSpends.push({ points: -op.points, breakdown: answer.body });
        }
      } else if (op.points > 0) {
        expect(answer.status, answer.text).toBe(200); // a positive add far below the limit is never refused
        expected += op.points;
        acceptedAddIds.push(answer.body.id);
      } else if (answer.status === 400) {
        expect(answer.body.code).toBe('INSUFFICIENT_PAYER_POINTS');
      } else {
        expected += op.points;
        acceptedAddIds.push(answer.body.id);
      }
    }

    const after = (await balance(user)).body;
    expect(total(after)).toBe(expected);
    for (const [payer, n] of Object.entries(after)) expect(n, payer).toBeGreaterThanOrEqual(0);

    const items = await checkedLedger(user);
    expect(items).toHaveLength(2 + acceptedAddIds.length + acceptedSpends.length);
    const addIds = items.filter((item) => item.type === 'add').map((item) => item.id);
    for (const id of acceptedAddIds) expect(addIds.filter((x) => x === id)).toHaveLength(1);
    expectSameSpends(
      items.filter((item) => item.type === 'spend'),
      acceptedSpends,
    );
  });

  it('12 concurrent spends with one Idempotency-Key and body are applied once, all answered alike', async () => {
    const user = newUser('conc-idem');
    await seed(user, [
      ['A', 60, hour(1)],
      ['B', 60, hour(2)],
    ]);
    const key = `spend-${user}`;
    const answers = await Promise.all(Array.from({ length: 12 }, () => spend(user, 90, { 'Idempotency-Key': key })));

    for (const answer of answers) {
      expect([200, 409], answer.text).toContain(answer.status);
      if (answer.status === 409) expect(answer.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    }
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    for (const answer of ok) expect(answer.text).toBe(ok[0]!.text);
    expect(ok[0]!.body).toEqual([
      { payer: 'A', points: -60 },
      { payer: 'B', points: -30 },
    ]);

    expect((await balance(user)).body).toEqual({ A: 0, B: 30 });
    const items = await checkedLedger(user);
    expect(items.filter((item) => item.type === 'spend')).toHaveLength(1);
    // A retry after the storm is still the same answer and still changes nothing.
    const retry = await spend(user, 90, { 'Idempotency-Key': key });
    expect(retry.status).toBe(200);
    expect(retry.text).toBe(ok[0]!.text);
    expect((await balance(user)).body).toEqual({ A: 0, B: 30 });
  });

  it('12 concurrent adds with one Idempotency-Key and body record one transaction', async () => {
    const user = newUser('conc-idem');
    const key = `add-${user}`;
    const answers = await Promise.all(Array.from({ length: 12 }, () => add(user, 'A', 25, hour(1), { 'Idempotency-Key': key })));
    for (const answer of answers) expect([200, 409], answer.text).toContain(answer.status);
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    for (const answer of ok) expect(answer.text).toBe(ok[0]!.text);
    expect((await balance(user)).body).toEqual({ A: 25 });
    const items = await checkedLedger(user);
    expect(items.map((item) => item.id)).toEqual([ok[0]!.body.id]);
  });

  it('concurrent requests for different users do not disturb each other', async () => {
    const users = Array.from({ length: 6 }, () => newUser('conc-iso'));
    await Promise.all(users.map((user) => seed(user, [['P', 100, hour(1)]])));
    const answers = await Promise.all(users.flatMap((user) => Array.from({ length: 6 }, () => spend(user, 30))));
    const { accepted, refused } = split(answers, 'INSUFFICIENT_POINTS');
    // 100 points cover three spends of 30 per user, never a fourth.
    expect(accepted).toHaveLength(users.length * 3);
    expect(refused).toHaveLength(users.length * 3);
    for (const user of users) {
      expect((await balance(user)).body).toEqual({ P: 10 });
      expect((await checkedLedger(user)).filter((item) => item.type === 'spend')).toHaveLength(3);
    }
  });
});

// One process queues requests for a user (lib/lanes.ts), so the API above rarely sees a version
// conflict. Lambda runs many containers; here several services, each with its own client and
// lanes, race on one user so that the version check itself is what keeps the ledger serial.
describe('concurrent requests from several containers', () => {
  it('12 containers spending and deducting at once: conflicts happen and are retried, the ledger stays serial', async () => {
    const user = newUser('containers');
    await seed(user, [
      ['A', 300, hour(1)],
      ['B', 300, hour(2)],
      ['A', 300, hour(3)],
      ['C', 300, hour(0)],
    ]);
    const stores = Array.from({ length: 12 }, () => makeStore());
    const commits = stores.map((store) => vi.spyOn(store, 'commit'));
    const containers = stores.map((store) => new PointsService(store));
    const outcome = (run: Promise<unknown>) => run.then(() => 'ok', (error: { code?: string }) => error.code ?? String(error));
    const results = await Promise.all(
      containers.flatMap((service, i) => [
        outcome(service.spend(user, spendBodySchema.parse({ points: 40 + i }))),
        outcome(service.add(user, addBodySchema.parse({ payer: 'A', points: -(30 + i), timestamp: hour(9) }))),
      ]),
    );
    const conflicts = commits.flatMap((spy) => spy.mock.settledResults).filter((r) => r.type === 'rejected' && r.value instanceof ConflictError);
    expect(conflicts.length).toBeGreaterThan(0);
    for (const result of results) expect(['ok', 'INSUFFICIENT_POINTS', 'INSUFFICIENT_PAYER_POINTS']).toContain(result);
    const items = await checkedLedger(user);
    expect(items.filter((item) => item.type === 'spend' || item.points < 0)).toHaveLength(results.filter((r) => r === 'ok').length);
  });
});
