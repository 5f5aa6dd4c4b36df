// SPEC "Guarantees: Atomic … whatever the number of lots it touches": spends and negative adds
// that consume from 1 to 5000 lots, over HTTP. The service commits such an operation logically in
// its first transaction and rolls the rest forward in batches; from outside, only the SPEC's
// results may be visible: the FIFO breakdown, balances, and every lot's remaining in the ledger.
import { randomUUID } from 'node:crypto';
import { describe, it, type ExpectStatic } from 'vitest';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import type { Instant } from '../lib/domain/timestamp.js';
import { parseTimestamp } from '../lib/domain/timestamp.js';
import { FifoModel, comparable, isoAfter, type Breakdown } from './support/fifo-model.js';
import { add, balance, ledger, newUser, reverse, spend } from './support/http.js';
import { makeService } from './support/store.js';

const BASE = '2021-03-01T00:00:00Z';
/** Old lots are ranked 0..n-1 by timestamp (one minute apart); extras are newer than all of them. */
const tsOfRank = (rank: number) => isoAfter(BASE, rank * 60);
const OLD_PAYERS = ['Mid', 'ZED', 'alpha'];

interface LotSpec {
  rank: number;
  payer: string;
  points: number;
  old: boolean;
}

/** A fixed shuffle, so that the order received is not the timestamp order. */
function shuffled<T>(items: T[]): T[] {
  return items
    .map((item, i) => ({ item, k: (i * 7919 + 17) % 10007 }))
    .sort((a, b) => a.k - b.k)
    .map(({ item }) => item);
}

/** n old lots (payers in runs of 7, 1-3 points) and 5 newer extras, in the order they are sent. */
function lotsFor(n: number, lastOldPoints?: number): LotSpec[] {
  const old: LotSpec[] = Array.from({ length: n }, (_, rank) => ({
    rank,
    payer: OLD_PAYERS[Math.floor(rank / 7) % 3]!,
    points: rank === n - 1 && lastOldPoints !== undefined ? lastOldPoints : 1 + (rank % 3),
    old: true,
  }));
  const extras: LotSpec[] = ['alpha', 'NEW', 'alpha', 'Mid', 'NEW'].map((payer, i) => ({ rank: n + 10 + i, payer, points: 10 * (i + 1), old: false }));
  const order = shuffled(old);
  // Some extras arrive before every old lot, some in between, some last.
  return [extras[0]!, extras[3]!, ...order.slice(0, Math.floor(n / 2)), extras[1]!, ...order.slice(Math.floor(n / 2)), extras[2]!, extras[4]!];
}

/** The breakdown SPEC asks for, computed straight from the lots (not through the model). */
function oldestFirstBreakdown(lots: LotSpec[], points: number): Breakdown {
  const byPayer = new Map<string, number>();
  let left = points;
  for (const lot of [...lots].sort((a, b) => a.rank - b.rank)) {
    if (left === 0) break;
    const take = Math.min(lot.points, left);
    byPayer.set(lot.payer, (byPayer.get(lot.payer) ?? 0) + take);
    left -= take;
  }
  return [...byPayer].map(([payer, taken]) => ({ payer, points: -taken }));
}

async function createLots(expect: ExpectStatic, user: string, lots: LotSpec[], model: FifoModel, via: 'http' | 'service') {
  const service = via === 'service' ? makeService() : undefined;
  for (const lot of lots) {
    const ts = tsOfRank(lot.rank);
    model.add(lot.payer, lot.points, ts);
    if (service) {
      const timestamp = parseTimestamp(ts);
      if ('error' in timestamp) throw new Error(timestamp.error);
      const reply = await service.add(user, { payer: lot.payer, points: lot.points, timestamp: timestamp as Instant });
      expect(reply.status).toBe(200);
    } else {
      const answer = await add(user, lot.payer, lot.points, ts);
      expect(answer.status, answer.text).toBe(200);
    }
  }
}

async function expectState(expect: ExpectStatic, user: string, model: FifoModel) {
  const b = await balance(user);
  expect(b.status).toBe(200);
  expect(b.body).toEqual(model.balanceObject());
  const items = await ledger(user);
  expect(comparable(items)).toEqual(model.ledger());
  return items;
}

async function largeSpend(expect: ExpectStatic, n: number, options: { via?: 'http' | 'service'; partialLast?: boolean } = {}) {
  const user = newUser(`large${n}`);
  const model = new FifoModel();
  const lots = lotsFor(n, options.partialLast ? 3 : undefined);
  await createLots(expect, user, lots, model, options.via ?? 'http');
  const oldLots = lots.filter((l) => l.old);
  const oldSum = oldLots.reduce((s, l) => s + l.points, 0);
  const points = options.partialLast ? oldSum - 1 : oldSum;

  // The spend, with an Idempotency-Key: a retry of a large spend must not spend again.
  const key = `large-${randomUUID()}`;
  const expected = oldestFirstBreakdown(oldLots, points);
  const spent = await spend(user, points, { 'Idempotency-Key': key });
  expect(spent.status, spent.text).toBe(200);
  expect(spent.body).toEqual(expected);
  expect(model.spend(points)).toEqual(expected);
  // Payers in first-drawn order: the payer of rank 0 first, then in runs of 7.
  expect(spent.body.map((e: { payer: string }) => e.payer)).toEqual(OLD_PAYERS.slice(0, Math.min(3, Math.ceil(n / 7))));
  expect(spent.body.reduce((s: number, e: { points: number }) => s + e.points, 0)).toBe(-points);

  const items = await expectState(expect, user, model);
  // Every lot by hand: the n oldest are used up (the last one but for 1 point in the partial
  // case), the extras are untouched.
  const adds = items.filter((i) => i.type === 'add');
  expect(adds).toHaveLength(lots.length);
  lots.forEach((lot, i) => {
    expect(adds[i]).toMatchObject({ payer: lot.payer, points: lot.points, timestamp: tsOfRank(lot.rank) });
    const left = !lot.old ? lot.points : options.partialLast && lot.rank === n - 1 ? 1 : 0;
    expect(adds[i].remaining).toBe(left);
  });
  expect(items.at(-1)).toMatchObject({ type: 'spend', points: -points, breakdown: expected });
  const extrasTotal = 150 + (options.partialLast ? 1 : 0);
  expect(Object.values((await balance(user)).body).reduce((s: number, v) => s + (v as number), 0)).toBe(extrasTotal);

  const replay = await spend(user, points, { 'Idempotency-Key': key });
  expect(replay.status).toBe(200);
  expect(replay.text).toBe(spent.text);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');

  // A following spend starts where the big one stopped: the partial lot, then the oldest extra
  // (alpha 10), then 5 of the next (NEW 20).
  const next = await spend(user, 15);
  expect(next.status, next.text).toBe(200);
  expect(next.body).toEqual(model.spend(15));
  const partialPayer = lots.find((l) => l.rank === n - 1)!.payer;
  expect(next.body).toEqual(
    !options.partialLast
      ? [
          { payer: 'alpha', points: -10 },
          { payer: 'NEW', points: -5 },
        ]
      : partialPayer === 'alpha'
        ? [
            { payer: 'alpha', points: -11 },
            { payer: 'NEW', points: -4 },
          ]
        : [
            { payer: partialPayer, points: -1 },
            { payer: 'alpha', points: -10 },
            { payer: 'NEW', points: -4 },
          ],
  );

  // A negative add of alpha takes alpha's oldest open lot: the extra of 30 (its 10 is spent).
  const deducted = await add(user, 'alpha', -25, '2030-01-01T00:00:00Z');
  expect(deducted.status, deducted.text).toBe(200);
  expect(deducted.body).toEqual({ id: expect.any(String), type: 'add', payer: 'alpha', points: -25, timestamp: '2030-01-01T00:00:00Z' });
  model.add('alpha', -25, '2030-01-01T00:00:00Z');
  const after = await expectState(expect, user, model);
  expect(after.filter((i) => i.type === 'add' && i.payer === 'alpha' && i.points === 30)[0].remaining).toBe(5);

  // Whatever is left can be spent to the last point, and not one point more.
  const rest = model.total;
  const tooMuch = await spend(user, rest + 1);
  expect(tooMuch.status).toBe(400);
  expect(tooMuch.body.code).toBe('INSUFFICIENT_POINTS');
  const all = await spend(user, rest);
  expect(all.status, all.text).toBe(200);
  expect(all.body).toEqual(model.spend(rest));
  await expectState(expect, user, model);
  expect(Object.values(model.balanceObject()).every((v) => v === 0)).toBe(true);
}

describe.concurrent('spends consuming many lots', () => {
  for (const n of [1, 97, 98, 99, 100, 101, 196, 197, 250, 1000]) {
    it(`consumes exactly the ${n} oldest lot(s), oldest by timestamp`, ({ expect }) => largeSpend(expect, n), 600_000);
  }
  for (const n of [98, 197]) {
    it(`consumes ${n} lots, leaving 1 point in the last one`, ({ expect }) => largeSpend(expect, n, { partialLast: true }), 600_000);
  }
  it('consumes exactly the 5000 oldest lots (lots created in-process, spend over HTTP)', ({ expect }) => largeSpend(expect, 5000, { via: 'service' }), 900_000);
});

describe.concurrent('negative adds consuming many lots', () => {
  it('a negative add takes 250 lots of its payer, oldest first, and leaves the interleaved payer untouched', async ({ expect }) => {
    const user = newUser('neg250');
    const model = new FifoModel();
    // X at even ranks, Y at odd ranks: by timestamp the two payers' lots alternate.
    const lots: LotSpec[] = [];
    for (let k = 0; k < 300; k++) {
      lots.push({ rank: 2 * k, payer: 'X', points: 1 + (k % 2), old: k < 250 });
      lots.push({ rank: 2 * k + 1, payer: 'Y', points: 2, old: false });
    }
    const sent = shuffled(lots);
    await createLots(expect, user, sent, model, 'http');
    const xOld = lots.filter((l) => l.old);
    expect(xOld).toHaveLength(250);
    const deduct = xOld.reduce((s, l) => s + l.points, 0);
    const xTotal = lots.filter((l) => l.payer === 'X').reduce((s, l) => s + l.points, 0);
    expect((await balance(user)).body).toEqual({ X: xTotal, Y: 600 });

    // More than X holds is refused, however much Y holds; nothing changes.
    const refused = await add(user, 'X', -(xTotal + 1), '2030-01-01T00:00:00Z');
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('INSUFFICIENT_PAYER_POINTS');
    expect(model.add('X', -(xTotal + 1), '2030-01-01T00:00:00Z')).toEqual({ refused: 'INSUFFICIENT_PAYER_POINTS' });

    const key = `neg-${randomUUID()}`;
    const deducted = await add(user, 'X', -deduct, '2030-01-01T00:00:00Z', { 'Idempotency-Key': key });
    expect(deducted.status, deducted.text).toBe(200);
    expect(deducted.body).toEqual({ id: expect.any(String), type: 'add', payer: 'X', points: -deduct, timestamp: '2030-01-01T00:00:00Z' });
    model.add('X', -deduct, '2030-01-01T00:00:00Z');
    expect((await balance(user)).body).toEqual({ X: xTotal - deduct, Y: 600 });

    const items = await expectState(expect, user, model);
    const adds = items.filter((i) => i.type === 'add' && i.points > 0);
    expect(adds).toHaveLength(600);
    sent.forEach((lot, i) => {
      expect(adds[i]).toMatchObject({ payer: lot.payer, points: lot.points, timestamp: tsOfRank(lot.rank) });
      expect(adds[i].remaining).toBe(lot.old ? 0 : lot.points);
    });

    const replay = await add(user, 'X', -deduct, '2030-01-01T00:00:00Z', { 'Idempotency-Key': key });
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(deducted.text);
    expect((await balance(user)).body).toEqual({ X: xTotal - deduct, Y: 600 });

    // A spend now starts with Y's oldest lots: X's older ones are gone.
    const spent = await spend(user, 5);
    expect(spent.status, spent.text).toBe(200);
    expect(spent.body).toEqual([{ payer: 'Y', points: -5 }]);
    expect(model.spend(5)).toEqual(spent.body);
    // Y's lots of ranks < 500 hold 495 more points; after them X's remaining lots (ranks 500..)
    // alternate with Y's, so 600 more points draw on Y first, then X.
    const big = await spend(user, 600);
    expect(big.status, big.text).toBe(200);
    expect(big.body).toEqual(model.spend(600));
    expect(big.body.map((e: { payer: string }) => e.payer)).toEqual(['Y', 'X']);
    await expectState(expect, user, model);
  }, 600_000);

  it('a negative add crossing the batch boundaries leaves one point in its last lot', async ({ expect }) => {
    const user = newUser('neg197');
    const model = new FifoModel();
    const lots: LotSpec[] = [];
    for (let k = 0; k < 200; k++) {
      lots.push({ rank: 2 * k, payer: 'X', points: 2, old: k < 197 });
      if (k % 3 === 0) lots.push({ rank: 2 * k + 1, payer: 'Y', points: 1, old: false });
    }
    await createLots(expect, user, shuffled(lots), model, 'http');
    // 196 whole lots and 1 of the 197th's 2 points.
    const deducted = await add(user, 'X', -(197 * 2 - 1), '2022-01-01T00:00:00+05:00');
    expect(deducted.status, deducted.text).toBe(200);
    expect(deducted.body.timestamp).toBe('2021-12-31T19:00:00Z');
    model.add('X', -(197 * 2 - 1), '2022-01-01T00:00:00+05:00', '2021-12-31T19:00:00Z');
    const items = await expectState(expect, user, model);
    const xLots = items.filter((i) => i.type === 'add' && i.payer === 'X' && i.points > 0).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    expect(xLots.map((l) => l.remaining)).toEqual([...Array(196).fill(0), 1, 2, 2, 2]);
    expect(items.filter((i) => i.type === 'add' && i.payer === 'Y').every((l) => l.remaining === 1)).toBe(true);
    expect((await balance(user)).body).toEqual({ X: 7, Y: 67 });
  }, 600_000);
});

describe('the largest answers', () => {
  it('as many 128-character payers as one user may have: a keyed spend of them all, its replay and a keyed reversal succeed', async ({ expect }) => {
    const user = newUser('payers');
    const service = makeService();
    const payers: string[] = [];
    // Names in timestamp order, so the FIFO breakdown lists them in this order.
    for (let n = 0; ; n++) {
      const payer = `${String(n).padStart(5, '0')}-${'q'.repeat(122)}`;
      const body = addBodySchema.parse({ payer, points: 1, timestamp: tsOfRank(n) });
      const added = await service.add(user, body).catch((error: { code?: string }) => error);
      if ('code' in added) {
        expect(added.code).toBe('LIMIT_EXCEEDED');
        break;
      }
      payers.push(payer);
    }
    expect(payers.length).toBeGreaterThan(1000);
    const everything = payers.map((payer) => ({ payer, points: -1 }));
    const spent = await spend(user, payers.length, { 'idempotency-key': 'all' });
    expect(spent.status, spent.text.slice(0, 300)).toBe(200);
    expect(spent.body).toEqual(everything);
    const replayed = await spend(user, payers.length, { 'idempotency-key': 'all' });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.text).toBe(spent.text);
    const spendId = (await ledger(user)).find((item) => item.type === 'spend').id;
    const reversed = await reverse(user, spendId, {}, { 'idempotency-key': 'back' });
    expect(reversed.status, reversed.text.slice(0, 300)).toBe(200);
    expect(reversed.body.points).toBe(payers.length);
    expect(Object.values((await balance(user)).body)).toEqual(payers.map(() => 1));
  }, 600_000);
});
