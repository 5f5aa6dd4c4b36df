// Model-based test of SPEC "Holds and pending points" with "Expiry and reversal": random
// sequences of adds (some pending, some expiring), spends, holds, captures (whole and partial),
// releases, reversals and clock advances, run on the service (DynamoDB Local, a clock the test
// moves) and on the pure model (tests/support/fifo-model.ts). At every step the answer, the
// balance, the balance detail and the whole ledger must be the model's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { captureBodySchema, holdBodySchema } from '../lib/domain/schemas/hold.js';
import { reverseBodySchema } from '../lib/domain/schemas/reverse.js';
import { spendBodySchema } from '../lib/domain/schemas/spend.js';
import { PointsService, type Reply } from '../lib/service/service.js';
import { FifoModel, comparable, ledgerSums, replayLedger } from './support/fifo-model.js';
import { newUser } from './support/http.js';
import { makeStore } from './support/store.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const ts = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

type Op =
  | { kind: 'add'; payer: string; points: number; at: number; expiresIn?: number; availableIn?: number }
  | { kind: 'spend'; points: number }
  | { kind: 'hold'; points: number; expiresIn?: number }
  | { kind: 'capture'; hold: number; points?: number }
  | { kind: 'release'; hold: number }
  | { kind: 'reverse'; spend: number; points?: number }
  | { kind: 'tick'; seconds: number };

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      payer: fc.constantFrom('A', 'B', 'C'),
      points: fc.integer({ min: -60, max: 150 }).filter((n) => n !== 0),
      at: fc.integer({ min: -60, max: 60 }),
      expiresIn: optional(fc.integer({ min: 1, max: 120 })),
      availableIn: optional(fc.integer({ min: -10, max: 60 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('spend' as const), points: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('hold' as const), points: fc.integer({ min: 1, max: 200 }), expiresIn: optional(fc.integer({ min: 1, max: 120 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('capture' as const), hold: fc.nat(5), points: optional(fc.integer({ min: 1, max: 150 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), hold: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reverse' as const), spend: fc.nat(5), points: optional(fc.integer({ min: 1, max: 150 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), seconds: fc.integer({ min: 1, max: 50 }) }) },
);

/** The breakdown of a recorded capture, release or reversal, or the refusal's code. */
async function breakdownOf(reply: Promise<Reply>): Promise<unknown> {
  const answer = (await answerOf(reply)) as { breakdown?: unknown };
  return 'refused' in answer ? answer : answer.breakdown;
}

/** A service answer as the model states it: the parsed body, or the refusal's code. */
async function answerOf(reply: Promise<Reply>): Promise<unknown> {
  try {
    return JSON.parse((await reply).body);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === undefined) throw error;
    return { refused: code };
  }
}

async function run(ops: Op[]) {
  const clock = { now: T0 };
  const service = new PointsService(makeStore(), { now: () => clock.now });
  const user = newUser('hm');
  const model = new FifoModel();
  let items: any[] = [];
  const idOf = (type: string, index: number) => items.filter((i) => i.type === type)[index]?.id ?? '1-00000000';
  for (const op of ops) {
    const now = clock.now;
    let got: unknown;
    let want: unknown;
    switch (op.kind) {
      case 'tick':
        clock.now += op.seconds * 1000;
        continue;
      case 'add': {
        const timestamp = ts(now + op.at * 1000);
        const positive = op.points > 0;
        const availableAt = positive && op.availableIn !== undefined ? ts(now + op.availableIn * 1000) : undefined;
        const from = Math.max(now + op.at * 1000, availableAt === undefined ? -Infinity : Date.parse(availableAt));
        const expiresAt = positive && op.expiresIn !== undefined ? ts(from + op.expiresIn * 1000) : undefined;
        const extra = { ...(expiresAt ? { expiresAt } : {}), ...(availableAt ? { availableAt } : {}) };
        got = await answerOf(service.add(user, addBodySchema.parse({ payer: op.payer, points: op.points, timestamp, ...extra })));
        const item = model.add(op.payer, op.points, timestamp, timestamp, { ...extra, now });
        want = 'refused' in item ? item : { type: 'add', payer: op.payer, points: op.points, timestamp, ...(positive ? { remaining: expiresAt && Date.parse(expiresAt) <= now ? 0 : op.points } : {}), ...extra };
        if (!('refused' in (got as object))) delete (got as { id?: string }).id;
        break;
      }
      case 'spend':
        got = await answerOf(service.spend(user, spendBodySchema.parse({ points: op.points })));
        want = model.spend(op.points, { now });
        break;
      case 'hold': {
        const expiresAt = op.expiresIn === undefined ? undefined : ts(now + op.expiresIn * 1000);
        got = await answerOf(service.hold(user, holdBodySchema.parse({ points: op.points, ...(expiresAt ? { expiresAt } : {}) })));
        const item = model.hold(op.points, { now, ...(expiresAt ? { expiresAt } : {}) });
        want = 'refused' in item ? item : { type: 'hold', points: item.points, timestamp: new Date(now).toISOString(), expiresAt: item.hold.expiresAtUtc, breakdown: item.breakdown, status: 'held', captured: 0 };
        if (!('refused' in (got as object))) delete (got as { id?: string }).id;
        break;
      }
      case 'capture':
        got = await breakdownOf(service.capture(user, idOf('hold', op.hold), captureBodySchema.parse(op.points === undefined ? {} : { points: op.points })));
        want = model.capture(op.hold, op.points, { now });
        break;
      case 'release':
        got = await breakdownOf(service.release(user, idOf('hold', op.hold)));
        want = model.release(op.hold, { now });
        break;
      case 'reverse':
        got = await breakdownOf(service.reverse(user, idOf('spend', op.spend), reverseBodySchema.parse(op.points === undefined ? {} : { points: op.points })));
        want = model.reverse(op.spend, op.points, { now });
        break;
    }
    expect(got, JSON.stringify(op)).toEqual(want);
    model.expire(clock.now);
    expect(Object.fromEntries(await service.balance(user)), 'balance').toEqual(model.balanceObject());
    expect(Object.fromEntries(await service.balanceDetail(user)), 'balance detail').toEqual(model.detail());
    items = (await service.transactions(user, 0, 1000)).items.map((row) => row.item);
    expect(comparable(items), 'ledger').toEqual(model.ledger());
  }
  clock.now += 40 * 86_400_000; // every hold and lot falls due
  model.expire(clock.now);
  expect(Object.fromEntries(await service.balanceDetail(user))).toEqual(model.detail());
  items = (await service.transactions(user, 0, 1000)).items.map((row) => row.item);
  expect(comparable(items)).toEqual(model.ledger());
  expect(ledgerSums(items, clock.now)).toEqual(model.balanceObject());
  expect(comparable(items), 'the ledger replays through the model').toEqual(replayLedger(items, clock.now).ledger());
}

describe('holds and pending points against the model', () => {
  it('random adds, spends, holds, captures, releases, reversals and clock advances', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 25 }), run), { numRuns: 40 });
  }, 600_000);
});
