// The pure ledger (lib/domain/ledger.ts, lib/domain/timestamp.ts) against a deliberately simple model
// (tests/support/fifo-model.ts): lots in an array, sorted by (epoch, arrival), walked one by one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../lib/domain/errors.js';
import {
  balanceEntries,
  breakdownOf,
  checkDeduction,
  checkSpend,
  creditPayer,
  debitBreakdown,
  emptyAccount,
  lotOrderKey,
  planTakes,
  type Account,
  type OpenLot,
} from '../lib/domain/ledger.js';
import { MAX_POINTS } from '../lib/domain/schemas/fields.js';
import { parseTimestamp, type Instant } from '../lib/domain/timestamp.js';
import { FifoModel } from './support/fifo-model.js';

const instant = (text: string): Instant => {
  const parsed = parseTimestamp(text);
  if ('error' in parsed) throw new Error(`${text}: ${parsed.error}`);
  return parsed;
};

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  return 'OK';
};

describe('planTakes and breakdownOf', () => {
  const lots: Pick<OpenLot, 'seq' | 'payer' | 'remaining'>[] = [
    { seq: 1, payer: 'DANNON', remaining: 100 },
    { seq: 2, payer: 'UNILEVER', remaining: 200 },
    { seq: 4, payer: 'MILLER COORS', remaining: 10000 },
    { seq: 5, payer: 'DANNON', remaining: 1000 },
  ];

  it('takes min(remaining, left) from each lot oldest first (the canonical spend)', () => {
    const takes = planTakes(lots, 5000);
    expect(takes?.map((t) => [t.lot.seq, t.take])).toEqual([
      [1, 100],
      [2, 200],
      [4, 4700],
    ]);
    expect(breakdownOf(takes ?? [])).toEqual([
      { payer: 'DANNON', points: -100 },
      { payer: 'UNILEVER', points: -200 },
      { payer: 'MILLER COORS', points: -4700 },
    ]);
  });

  it('merges a payer drawn on twice into one entry at its first position', () => {
    const takes = planTakes(lots, 11300) ?? [];
    expect(breakdownOf(takes)).toEqual([
      { payer: 'DANNON', points: -1100 },
      { payer: 'UNILEVER', points: -200 },
      { payer: 'MILLER COORS', points: -10000 },
    ]);
  });

  it('returns null when the lots hold too little, and nothing for zero', () => {
    expect(planTakes(lots, 11301)).toBeNull();
    expect(planTakes([], 1)).toBeNull();
    expect(planTakes(lots, 0)).toEqual([]);
  });
});

describe('balance rules', () => {
  const withPayer = (payer: string, balance: number): Account => {
    const account = emptyAccount();
    account.balances = creditPayer(account, payer, balance, 'k1');
    account.total = balance;
    return account;
  };

  it('refuses an add that would take a payer or the total past 2^53 - 1', () => {
    expect(codeOf(() => creditPayer(withPayer('A', MAX_POINTS - 1), 'A', 1, 'k2'))).toBe('OK');
    expect(codeOf(() => creditPayer(withPayer('A', MAX_POINTS), 'A', 1, 'k2'))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => creditPayer(withPayer('A', MAX_POINTS), 'B', 1, 'k2'))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => creditPayer(emptyAccount(), 'A', MAX_POINTS + 1, 'k2'))).toBe('LIMIT_EXCEEDED');
  });

  it('refuses a deduction or spend larger than what is there', () => {
    const account = withPayer('A', 10);
    expect(codeOf(() => checkDeduction(account, 'A', 10))).toBe('OK');
    expect(codeOf(() => checkDeduction(account, 'A', 11))).toBe('INSUFFICIENT_PAYER_POINTS');
    expect(codeOf(() => checkDeduction(account, 'B', 1))).toBe('INSUFFICIENT_PAYER_POINTS');
    expect(codeOf(() => checkSpend(account, 10))).toBe('OK');
    expect(codeOf(() => checkSpend(account, 11))).toBe('INSUFFICIENT_POINTS');
  });

  it('caps the number of distinct payers so the account item stays under 400 KB', () => {
    let account = emptyAccount();
    let refusedAt = -1;
    for (let i = 0; i < 5000 && refusedAt < 0; i++) {
      const payer = `P${i}`.padEnd(128, 'x');
      if (codeOf(() => creditPayer(account, payer, 1, `k${i}`)) === 'LIMIT_EXCEEDED') refusedAt = i;
      else account = { ...account, balances: creditPayer(account, payer, 1, `k${i}`), total: account.total + 1 };
    }
    expect(refusedAt).toBeGreaterThan(500);
    const bytes = [...account.balances.keys()].reduce((n, p) => n + Buffer.byteLength(p) + 64, 0);
    expect(bytes).toBeLessThanOrEqual(200_000);
  });

  it('lists payers by their oldest lot, whatever order they arrived in', () => {
    let account = emptyAccount();
    const arrivals: [string, string][] = [
      ['MILLER COORS', '2022-11-01T14:00:00Z'],
      ['DANNON', '2022-11-02T14:00:00Z'],
      ['UNILEVER', '2022-10-31T11:00:00Z'],
      ['DANNON', '2022-10-31T10:00:00Z'],
    ];
    arrivals.forEach(([payer, ts], i) => {
      account = { ...account, balances: creditPayer(account, payer, 1, lotOrderKey(instant(ts).sortKey, i + 1)) };
    });
    expect(balanceEntries(account).map(([payer]) => payer)).toEqual(['DANNON', 'UNILEVER', 'MILLER COORS']);
  });
});

describe('timestamps', () => {
  it('accepts real instants and normalises them to UTC', () => {
    expect(instant('2022-10-31T12:00:00+02:00').utc).toBe('2022-10-31T10:00:00Z');
    expect(instant('2022-12-31T23:30:00-01:00').utc).toBe('2023-01-01T00:30:00Z');
    expect(instant('2024-02-29T00:00:00Z').utc).toBe('2024-02-29T00:00:00Z');
    expect(instant('2000-02-29T00:00:00Z').utc).toBe('2000-02-29T00:00:00Z');
    expect(instant('2022-10-31T10:00:00.250Z').utc).toBe('2022-10-31T10:00:00.250Z');
    expect(instant('0001-01-01T00:00:00Z').utc).toBe('0001-01-01T00:00:00Z');
    expect(instant('2022-10-31T10:00:00-00:00').utc).toBe('2022-10-31T10:00:00Z');
  });

  it.each([
    '2022-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2022-02-30T00:00:00Z',
    '2022-04-31T00:00:00Z',
    '2022-13-01T00:00:00Z',
    '2022-00-10T00:00:00Z',
    '2022-10-31T24:00:00Z',
    '2022-10-31T25:00:00Z',
    '2022-10-31T10:60:00Z',
    '2022-10-31T10:00:60Z',
    '2022-10-31T10:00:00',
    '2022-10-31T10:00:00+0200',
    '2022-10-31T10:00:00+24:00',
    '2022-10-31T10:00:00+02:60',
    '2022-10-31 10:00:00Z',
    '2022-10-31t10:00:00z',
    '2022-10-31T10:00:00.Z',
    '22-10-31T10:00:00Z',
    '0000-01-01T00:00:00+01:00',
    '',
  ])('refuses %j', (text) => {
    expect(parseTimestamp(text)).toHaveProperty('error');
  });

  // Any instant (microsecond precision), written with any offset and extra trailing zeros.
  const two = (n: number) => String(n).padStart(2, '0');
  const writtenInstant = fc
    .record({
      seconds: fc.integer({ min: Date.UTC(1, 0, 2) / 1000, max: Date.UTC(9999, 11, 30) / 1000 }),
      micros: fc.integer({ min: 0, max: 999_999 }),
      offset: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
      zeros: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ seconds, micros, offset, zeros }) => {
      const wall = new Date(seconds * 1000 + offset * 60_000); // the local clock reading, in UTC fields
      const date = `${String(wall.getUTCFullYear()).padStart(4, '0')}-${two(wall.getUTCMonth() + 1)}-${two(wall.getUTCDate())}`;
      const time = `${two(wall.getUTCHours())}:${two(wall.getUTCMinutes())}:${two(wall.getUTCSeconds())}`;
      const zone = `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
      const text = `${date}T${time}.${String(micros).padStart(6, '0')}${'0'.repeat(zeros)}${zone}`;
      return { text, exact: BigInt(seconds) * 1_000_000n + BigInt(micros) };
    });

  it('sort keys order lots exactly like (instant, arrival), however the instant is written', () => {
    fc.assert(
      fc.property(fc.array(writtenInstant, { minLength: 2, maxLength: 30 }), (written) => {
        const lots = written.map((w, seq) => ({ ...w, seq, key: lotOrderKey(instant(w.text).sortKey, seq) }));
        const byKey = [...lots].sort((a, b) => (a.key < b.key ? -1 : 1)).map((l) => l.seq);
        const byModel = [...lots].sort((a, b) => (a.exact === b.exact ? a.seq - b.seq : a.exact < b.exact ? -1 : 1)).map((l) => l.seq);
        expect(byKey).toEqual(byModel);
      }),
      { numRuns: 300 },
    );
  });
});

// The whole ledger as the service runs it (pure parts only) against the model of SPEC's rules.
type Op = { kind: 'add'; payer: string; points: number; at: number } | { kind: 'spend'; points: number };

const PAYERS = ['A', 'B', 'C', 'é'];
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), payer: fc.constantFrom(...PAYERS), points: fc.integer({ min: -300, max: 500 }).filter((n) => n !== 0), at: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('spend' as const), points: fc.integer({ min: 1, max: 800 }) }),
);

const timestampOf = (second: number) => `2022-01-01T00:00:${String(second).padStart(2, '0')}Z`;

/** The model's answer in implApply's terms: the refusal code, or [payer, points] pairs. */
function modelApply(model: FifoModel, op: Op): string | [string, number][] {
  const answer = op.kind === 'spend' ? model.spend(op.points) : model.add(op.payer, op.points, timestampOf(op.at));
  if ('refused' in answer) return answer.refused;
  return Array.isArray(answer) ? answer.map(({ payer, points }): [string, number] => [payer, points]) : [];
}

/** The implementation's pure parts, used the way lib/service/service.ts uses them. */
function implApply(state: { account: Account; lots: (Pick<OpenLot, 'seq' | 'payer' | 'remaining'> & { key: string })[] }, op: Op, seq: number): string | [string, number][] {
  const open = (payer?: string) => state.lots.filter((l) => l.remaining > 0 && (payer === undefined || l.payer === payer)).sort((a, b) => (a.key < b.key ? -1 : 1));
  const consume = (lots: Pick<OpenLot, 'seq' | 'payer' | 'remaining'>[], points: number) => {
    const takes = planTakes(lots, points);
    if (!takes) throw new Error('lots do not cover the balance');
    for (const { lot, take } of takes) lot.remaining -= take;
    const breakdown = breakdownOf(takes);
    state.account = { ...state.account, total: state.account.total - points, balances: debitBreakdown(state.account.balances, breakdown) };
    return breakdown.map(({ payer, points: p }): [string, number] => [payer, p]);
  };
  try {
    if (op.kind === 'spend') {
      checkSpend(state.account, op.points);
      return consume(open(), op.points);
    }
    if (op.points > 0) {
      const key = lotOrderKey(instant(timestampOf(op.at)).sortKey, seq);
      state.account = { ...state.account, total: state.account.total + op.points, balances: creditPayer(state.account, op.payer, op.points, key) };
      state.lots.push({ seq, payer: op.payer, remaining: op.points, key });
      return [];
    }
    checkDeduction(state.account, op.payer, -op.points);
    consume(open(op.payer), -op.points); // which lots it took shows in later spends' breakdowns
    return [];
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
}

describe('ledger against the model', () => {
  it('agrees on every answer and every balance for random sequences', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 60 }), (ops) => {
        const model = new FifoModel();
        const state = { account: emptyAccount(), lots: [] as (Pick<OpenLot, 'seq' | 'payer' | 'remaining'> & { key: string })[] };
        ops.forEach((op, i) => {
          expect(implApply(state, op, i + 1)).toEqual(modelApply(model, op));
          for (const payer of PAYERS) {
            expect(state.account.balances.get(payer)?.balance ?? 0).toBe(model.balances.get(payer) ?? 0);
            expect(model.balances.get(payer) ?? 0).toBeGreaterThanOrEqual(0);
          }
          expect(state.account.total).toBe(model.total);
        });
      }),
      { numRuns: 500 },
    );
  });
});
