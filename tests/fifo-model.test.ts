// The reference model (tests/support/fifo-model.ts) checked against SPEC's own statements of
// expiry and reversal, so that the tests comparing the service with it compare with the SPEC.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FifoModel, comparable, ledgerSums, replayLedger } from './support/fifo-model.js';

const ts = (second: number) => new Date(Date.UTC(2022, 0, 1) + second * 1000).toISOString().replace('.000Z', 'Z');

type Op =
  | { kind: 'add'; payer: string; points: number; at: number; expiresIn?: number }
  | { kind: 'spend'; points: number }
  | { kind: 'reverse'; spend: number; points?: number }
  | { kind: 'tick'; seconds: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record(
    { kind: fc.constant('add' as const), payer: fc.constantFrom('A', 'B', 'C'), points: fc.integer({ min: -100, max: 200 }).filter((n) => n !== 0), at: fc.integer({ min: 0, max: 50 }), expiresIn: fc.integer({ min: 1, max: 80 }) },
    { requiredKeys: ['kind', 'payer', 'points', 'at'] },
  ),
  fc.record({ kind: fc.constant('spend' as const), points: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('reverse' as const), spend: fc.nat(6), points: fc.option(fc.integer({ min: 1, max: 150 }), { nil: undefined }) }, { requiredKeys: ['kind', 'spend'] }),
  fc.record({ kind: fc.constant('tick' as const), seconds: fc.integer({ min: 1, max: 30 }) }),
);

/**
 * Runs ops on a model whose clock starts at second 40 and only moves forward with ticks; returns
 * when each item was recorded, and checks every spend took nothing from a lot expired by then.
 */
function run(ops: Op[]) {
  const model = new FifoModel();
  let now = Date.parse(ts(40));
  const recordedAt: number[] = [];
  for (const op of ops) {
    if (op.kind === 'tick') now += op.seconds * 1000;
    else if (op.kind === 'spend') {
      const answer = model.spend(op.points, { now });
      if (!('refused' in answer)) for (const { lot } of model.spends.at(-1)!.takes) expect(lot.expiresAt === undefined || lot.expiresAt > now).toBe(true);
    } else if (op.kind === 'reverse') model.reverse(op.spend, op.points, { now });
    else {
      const expiresAt = op.points > 0 && op.expiresIn !== undefined ? { expiresAt: ts(op.at + op.expiresIn) } : {};
      model.add(op.payer, op.points, ts(op.at), ts(op.at), { ...expiresAt, now });
    }
    while (recordedAt.length < model.items.length) recordedAt.push(now);
  }
  model.expire(now); // as a balance read at the end would
  while (recordedAt.length < model.items.length) recordedAt.push(now);
  return { model, now, recordedAt };
}

/** The model's ledger dressed as the service would list it (ids, references, times of record). */
function asRecorded(model: FifoModel, recordedAt: number[]) {
  const ids = model.items.map((_, i) => `id${i}`);
  const lotId = new Map(model.items.flatMap((item, i) => (item.type === 'add' && item.lot ? [[item.lot, ids[i]]] : [])));
  const spendId = new Map(model.items.flatMap((item, i) => (item.type === 'spend' && item.spend ? [[item.spend, ids[i]]] : [])));
  return model.ledger().map((view, i) => {
    const item = model.items[i]!;
    const timestamp = new Date(recordedAt[i]!).toISOString();
    if (item.type === 'expire') return { ...view, id: ids[i], lot: lotId.get(item.lot) };
    if (item.type === 'reversal') return { ...view, id: ids[i], spend: spendId.get(item.spend), timestamp };
    if (item.type === 'spend') return { ...view, id: ids[i], timestamp };
    return { ...view, id: ids[i] };
  });
}

describe('the FIFO model with expiry and reversal', () => {
  it('a reversal of n leaves exactly what a spend of P - n would have taken', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ payer: fc.constantFrom('A', 'B', 'C'), points: fc.integer({ min: 1, max: 50 }), at: fc.nat(30) }), { minLength: 1, maxLength: 15 }), fc.nat(), fc.nat(), (lots, p, n) => {
        const whole = new FifoModel();
        const less = new FifoModel();
        for (const m of [whole, less]) for (const lot of lots) m.add(lot.payer, lot.points, ts(lot.at));
        const P = 1 + (p % whole.total);
        const N = 1 + (n % P);
        whole.spend(P);
        whole.reverse(0, N);
        if (N < P) less.spend(P - N);
        expect(whole.lots.map((l) => l.remaining)).toEqual(less.lots.map((l) => l.remaining));
        expect(whole.balanceObject()).toEqual(less.balanceObject());
      }),
      { numRuns: 300 },
    );
  });

  it('a hold takes what a spend would; capturing m of it leaves what a spend of m would have; a release restores every lot', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ payer: fc.constantFrom('A', 'B', 'C'), points: fc.integer({ min: 1, max: 50 }), at: fc.nat(30) }), { minLength: 1, maxLength: 15 }), fc.nat(), fc.nat(), (lots, p, m) => {
        const [held, spent, released] = [new FifoModel(), new FifoModel(), new FifoModel()];
        for (const model of [held, spent, released]) for (const lot of lots) model.add(lot.payer, lot.points, ts(lot.at));
        const before = released.lots.map((l) => l.remaining);
        const P = 1 + (p % held.total);
        const M = 1 + (m % P);
        const hold = held.hold(P, { now: 0 });
        expect('refused' in hold ? hold : hold.breakdown).toEqual(spent.spend(P));
        const detail = Object.entries(held.detail());
        expect(Object.fromEntries(detail.map(([payer, d]) => [payer, d.available]))).toEqual(spent.balanceObject());
        expect(detail.reduce((n, [, d]) => n + d.held, 0)).toBe(P);
        const less = new FifoModel();
        for (const lot of lots) less.add(lot.payer, lot.points, ts(lot.at));
        expect(held.capture(0, M)).toEqual(less.spend(M));
        expect(held.lots.map((l) => l.remaining)).toEqual(less.lots.map((l) => l.remaining));
        expect(held.capture(0)).toEqual({ refused: 'HOLD_NOT_ACTIVE' });
        released.hold(P, { now: 0 });
        released.release(0);
        expect(released.lots.map((l) => l.remaining)).toEqual(before);
        expect(released.release(0)).toEqual({ refused: 'HOLD_NOT_ACTIVE' });
        expect(released.release(1)).toEqual({ refused: 'NOT_FOUND' });
      }),
      { numRuns: 300 },
    );
  });

  it('never draws on an expired lot, keeps balances equal to the ledger, and replays its own ledger', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 40 }), (ops) => {
        const { model, now, recordedAt } = run(ops);
        for (const lot of model.lots) {
          expect(lot.remaining).toBeGreaterThanOrEqual(0);
          if (lot.expiresAt !== undefined && lot.expiresAt <= now) expect(lot.remaining).toBe(0);
        }
        const recorded = asRecorded(model, recordedAt);
        expect(ledgerSums(recorded)).toEqual(model.balanceObject());
        const replayed = replayLedger(recorded);
        expect(comparable(recorded)).toEqual(model.ledger());
        expect(replayed.ledger()).toEqual(model.ledger());
      }),
      { numRuns: 300 },
    );
  });

  it('reverses the canonical spend last-taken first, refuses more than is left, and expires points given back to an expired lot', () => {
    const model = new FifoModel();
    model.add('DANNON', 300, '2022-10-31T10:00:00Z');
    model.add('UNILEVER', 200, '2022-10-31T11:00:00Z');
    model.add('DANNON', -200, '2022-10-31T15:00:00Z');
    model.add('MILLER COORS', 10000, '2022-11-01T14:00:00Z', '2022-11-01T14:00:00Z', { expiresAt: '2022-12-01T00:00:00Z' });
    model.add('DANNON', 1000, '2022-11-02T14:00:00Z');
    expect(model.spend(5000, { now: Date.parse('2022-11-15T00:00:00Z') })).toEqual([
      { payer: 'DANNON', points: -100 },
      { payer: 'UNILEVER', points: -200 },
      { payer: 'MILLER COORS', points: -4700 },
    ]);
    expect(model.reverse(0, 4800, { now: Date.parse('2022-12-02T00:00:00Z') })).toEqual([
      { payer: 'MILLER COORS', points: 4700 },
      { payer: 'UNILEVER', points: 100 },
    ]);
    expect(model.reverse(0, 201)).toEqual({ refused: 'EXCEEDS_SPEND' });
    expect(model.reverse(1)).toEqual({ refused: 'NOT_FOUND' });
    expect(model.balanceObject()).toEqual({ DANNON: 1000, UNILEVER: 100, 'MILLER COORS': 0 });
    expect(model.ledger().slice(5)).toEqual([
      { type: 'spend', points: -5000, breakdown: expect.any(Array), reversed: 4800 },
      { type: 'expire', payer: 'MILLER COORS', points: -5300, timestamp: '2022-12-01T00:00:00Z', lot: '#3' },
      { type: 'reversal', spend: '#5', points: 4800, breakdown: expect.any(Array) },
      { type: 'expire', payer: 'MILLER COORS', points: -4700, timestamp: '2022-12-01T00:00:00Z', lot: '#3' },
    ]);
    expect(model.reverse(0)).toEqual([
      { payer: 'UNILEVER', points: 100 },
      { payer: 'DANNON', points: 100 },
    ]);
    expect(model.reverse(0)).toEqual({ refused: 'EXCEEDS_SPEND' });
  });
});
