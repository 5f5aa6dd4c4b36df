// The pure reversal and expiry rules of lib/domain/ledger.ts, as properties over random lots.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { breakdownOf, creditBreakdown, debitBreakdown, givebacks, isExpired, planTakes, type OpenLot, type PlacedTake, type PayerBalance } from '../lib/domain/ledger.js';

const PAYERS = ['A', 'B', 'C'];

const lotsArbitrary = fc.array(
  fc.record({ payer: fc.constantFrom(...PAYERS), remaining: fc.integer({ min: 1, max: 20 }), expires: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }) }),
  { minLength: 1, maxLength: 30 },
);

const toLots = (specs: { payer: string; remaining: number; expires?: number | undefined }[]): OpenLot[] =>
  specs.map((s, i) => ({
    seq: i + 1,
    id: `${i + 1}-00000000`,
    payer: s.payer,
    remaining: s.remaining,
    orderKey: `k${String(i).padStart(3, '0')}`,
    ...(s.expires !== undefined ? { expiryKey: `t${s.expires}`, expiresAt: `t${s.expires}` } : {}),
  }));

/** A spend's takes as it remembers them: each with its position among the spend's points. */
function placed(lots: OpenLot[], points: number): PlacedTake[] {
  let start = 0;
  return (planTakes(lots, points) ?? []).map((t) => {
    const p = { ...t, start, chunk: 0 };
    start += t.take;
    return p;
  });
}

const remainingAfter = (lots: OpenLot[], changes: { lot: OpenLot; take: number }[], sign: 1 | -1) => {
  const left = new Map(lots.map((l) => [l.seq, l.remaining]));
  for (const { lot, take } of changes) left.set(lot.seq, left.get(lot.seq)! + sign * take);
  return left;
};

describe('givebacks', () => {
  it('after reversing n of a spend of P (in any number of steps), what stays spent is exactly a spend of P − n', () => {
    fc.assert(
      fc.property(lotsArbitrary, fc.nat(), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (specs, pSeed, steps) => {
        const lots = toLots(specs);
        const held = lots.reduce((n, l) => n + l.remaining, 0);
        const P = 1 + (pSeed % held);
        const takes = placed(lots, P);
        let afterSpend = remainingAfter(lots, takes, -1);
        let reversed = 0;
        for (const step of steps) {
          const open = P - reversed;
          if (open === 0) break;
          const n = 1 + (step % open);
          const gives = givebacks(takes, open - n, open);
          expect(gives.reduce((s, g) => s + g.take, 0)).toBe(n);
          // Last taken first: positions given back never rise.
          const order = gives.map((g) => takes.findIndex((t) => t.lot.seq === g.lot.seq));
          expect([...order].sort((a, b) => b - a)).toEqual(order);
          afterSpend = remainingAfter(lots.map((l) => ({ ...l, remaining: afterSpend.get(l.seq)! })), gives, 1);
          reversed += n;
          const smaller = P - reversed === 0 ? [] : planTakes(lots, P - reversed)!;
          expect(afterSpend).toEqual(remainingAfter(lots, smaller, -1));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('reading only the takes that hold [lo, hi) gives the same answer as reading them all', () => {
    fc.assert(
      fc.property(lotsArbitrary, fc.nat(), fc.nat(), (specs, a, b) => {
        const lots = toLots(specs);
        const takes = placed(lots, lots.reduce((n, l) => n + l.remaining, 0));
        const total = takes.reduce((n, t) => n + t.take, 0);
        const lo = a % total;
        const hi = lo + 1 + (b % (total - lo));
        const from = takes.findIndex((t) => t.start + t.take > lo);
        expect(givebacks(takes.slice(from), lo, hi)).toEqual(givebacks(takes, lo, hi));
      }),
    );
  });
});

describe('expiry and balances', () => {
  it('a spend planned over the lots not expired at now never draws on an expired lot, and balances stay the sum of what happened', () => {
    fc.assert(
      fc.property(lotsArbitrary, fc.integer({ min: 0, max: 10 }), fc.nat(), (specs, nowSeed, pSeed) => {
        const lots = toLots(specs);
        const now = `t${nowSeed}`;
        let balances = new Map<string, PayerBalance>(PAYERS.map((p) => [p, { balance: 0, first: '' }]));
        balances = creditBreakdown(balances, breakdownOf(lots.map((lot) => ({ lot, take: lot.remaining })), 1));
        const expired = lots.filter((l) => isExpired(l, now));
        balances = debitBreakdown(balances, breakdownOf(expired.map((lot) => ({ lot, take: lot.remaining }))));
        const live = lots.filter((l) => !isExpired(l, now));
        const held = live.reduce((n, l) => n + l.remaining, 0);
        if (held === 0) return;
        const takes = planTakes(live, 1 + (pSeed % held))!;
        expect(takes.every(({ lot }) => !isExpired(lot, now))).toBe(true);
        balances = debitBreakdown(balances, breakdownOf(takes));
        const left = remainingAfter(live, takes, -1);
        for (const payer of PAYERS) {
          const sum = live.filter((l) => l.payer === payer).reduce((n, l) => n + left.get(l.seq)!, 0);
          expect(balances.get(payer)!.balance).toBe(sum);
        }
      }),
      { numRuns: 400 },
    );
  });
});
