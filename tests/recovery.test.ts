// Crash safety with the store's failpoint (POINTS_FAILPOINT_AFTER_WRITES): a process that dies
// after any DynamoDB write leaves the user in exactly one of the two legal states once the next
// request has run, and retries with the same Idempotency-Key apply the operation exactly once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { spendBodySchema } from '../lib/domain/schemas/spend.js';
import type { PointsService } from '../lib/service/service.js';
import { FifoModel } from './support/fifo-model.js';
import { newUser } from './support/http.js';
import { crashAfter, ledgerOf, makeService, makeStore } from './support/store.js';

const timestampOf = (second: number) => new Date(Date.UTC(2020, 0, 1) + second * 1000).toISOString();
const addBody = (payer: string, points: number, second: number) => addBodySchema.parse({ payer, points, timestamp: timestampOf(second) });
const spendBody = (points: number) => spendBodySchema.parse({ points });
const idem = (key: string, text: string) => ({ key, fingerprint: text });

interface Lot {
  payer: string;
  points: number;
  second: number;
}

/** `count` old lots, then 5 newer ones. */
function lotsFor(count: number, payerOf: (i: number) => string): { old: Lot[]; newer: Lot[] } {
  const old = Array.from({ length: count }, (_, i) => ({ payer: payerOf(i), points: 1 + (i % 4), second: i }));
  const newer = Array.from({ length: 5 }, (_, i) => ({ payer: 'N', points: 10, second: 100_000 + i }));
  return { old, newer };
}

async function addAll(service: PointsService, user: string, lots: Lot[]) {
  // Reverse arrival order: timestamps, not arrival, must decide what is spent first.
  for (const lot of [...lots].reverse()) {
    const reply = await service.add(user, addBody(lot.payer, lot.points, lot.second));
    expect(reply.status).toBe(200);
  }
}

/** Everything a client can observe about the user, after the next request has recovered it. */
async function observe(user: string) {
  const service = makeService();
  const items = await ledgerOf(service, user);
  const { account } = await makeStore().load(user);
  return { balance: Object.fromEntries(await service.balance(user)), items, pending: account.pending };
}

/** The two legal outcomes of spending (or deducting) exactly the old lots. */
function outcomes(lots: { old: Lot[]; newer: Lot[] }, deductPayer?: string) {
  const all = [...lots.old, ...lots.newer];
  const consumed = new Set(lots.old.filter((l) => deductPayer === undefined || l.payer === deductPayer));
  const balance = (spent: boolean) => {
    const result: Record<string, number> = {};
    for (const lot of all) result[lot.payer] = (result[lot.payer] ?? 0) + (spent && consumed.has(lot) ? 0 : lot.points);
    return result;
  };
  const remaining = (spent: boolean) =>
    all
      .map((lot) => ({ key: `${lot.payer}@${lot.second}`, remaining: spent && consumed.has(lot) ? 0 : lot.points }))
      .sort((a, b) => a.key.localeCompare(b.key));
  return { none: { balance: balance(false), remaining: remaining(false) }, all: { balance: balance(true), remaining: remaining(true) }, consumed };
}

function summary(state: Awaited<ReturnType<typeof observe>>) {
  const remaining = state.items
    .filter((item) => item.type === 'add' && item.points > 0)
    .map((item) => ({ key: `${(item as { payer: string }).payer}@${(Date.parse(item.timestamp) - Date.UTC(2020, 0, 1)) / 1000}`, remaining: (item as { remaining: number }).remaining }))
    .sort((a, b) => a.key.localeCompare(b.key));
  return { balance: state.balance, remaining };
}

describe.each([
  { name: '250-lot spend', deductPayer: undefined },
  { name: 'negative add over 250 of one payer’s lots', deductPayer: 'A' },
])('failpoint after every write of a $name', ({ deductPayer }) => {
  // The deduction's 250 lots of A are interleaved with lots of B that must stay untouched.
  const lots = deductPayer === undefined ? lotsFor(250, (i) => ['A', 'B', 'C'][i % 3]!) : lotsFor(300, (i) => (i % 6 === 5 ? 'B' : 'A'));
  const expected = outcomes(lots, deductPayer);
  const points = [...expected.consumed].reduce((n, l) => n + l.points, 0);
  const operation = (key?: string) => (service: PointsService) =>
    deductPayer === undefined
      ? service.spend(user(), spendBody(points), key ? idem(key, 'spend') : undefined)
      : service.add(user(), addBody(deductPayer, -points, 200_000), key ? idem(key, 'deduct') : undefined);
  let current = '';
  const user = () => current;

  it('leaves exactly one legal outcome for every k, then later operations are correct', async () => {
    const seen = new Set<string>();
    let k = 0;
    for (; k < 20; k++) {
      current = newUser('crash');
      await addAll(makeService(), current, [...lots.old, ...lots.newer]);
      const crashed = await crashAfter(k, operation());
      // The next request, before anything else reads the user, must see one whole outcome:
      // its 1 point comes from the oldest lot still open in that outcome.
      const next = JSON.parse((await makeService().spend(current, spendBody(1))).body);
      const oldestOpenIn = (o: typeof expected.none) =>
        [...lots.old, ...lots.newer]
          .filter((l) => o.remaining.find((r) => r.key === `${l.payer}@${l.second}`)!.remaining > 0)
          .sort((a, b) => a.second - b.second)[0]!;
      expect(oldestOpenIn(expected.all).payer).not.toBe(oldestOpenIn(expected.none).payer);
      const outcome = next[0]?.payer === oldestOpenIn(expected.all).payer ? expected.all : expected.none;
      seen.add(outcome === expected.all ? 'all' : 'none');
      const oldestOpen = oldestOpenIn(outcome);
      expect(next).toEqual([{ payer: oldestOpen.payer, points: -1 }]);
      const state = await observe(current);
      expect(state.pending).toBeUndefined();
      const oldestKey = `${oldestOpen.payer}@${oldestOpen.second}`;
      expect(summary(state)).toEqual({
        balance: { ...outcome.balance, [oldestOpen.payer]: outcome.balance[oldestOpen.payer]! - 1 },
        remaining: outcome.remaining.map((r) => (r.key === oldestKey ? { ...r, remaining: r.remaining - 1 } : r)),
      });
      const consuming = state.items.filter((i) => i.type === 'spend' || (i.type === 'add' && i.points < 0)).length;
      expect(consuming).toBe(outcome === expected.all ? 2 : 1);
      if (!crashed) break;
    }
    // Writes: the first transaction, then roll-forward batches of 99 lots.
    expect(k).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual(new Set(['none', 'all']));
  }, 300_000);

  it('a retry with the same Idempotency-Key after a crash at any k applies it exactly once', async () => {
    for (let k = 0; k < 4; k++) {
      current = newUser('retry');
      await addAll(makeService(), current, [...lots.old, ...lots.newer]);
      const key = `crash-${k}`;
      await crashAfter(k, operation(key));
      const reply = await operation(key)(makeService());
      expect(reply.status).toBe(200);
      const again = await operation(key)(makeService());
      expect(again).toEqual({ ...reply, replayed: true });
      expect(summary(await observe(current))).toEqual(expected.all);
    }
  }, 300_000);
});

// Random sequences with idempotency keys, duplicate retries and crashes, against a plain model.
type Step =
  | { kind: 'add'; payer: string; points: number; second: number; key?: string; crashAt?: number }
  | { kind: 'spend'; points: number; key?: string; crashAt?: number }
  | { kind: 'replay'; index: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), payer: fc.constantFrom('A', 'B'), points: fc.integer({ min: -40, max: 60 }).filter((n) => n !== 0), second: fc.integer({ min: 0, max: 9 }), key: fc.option(fc.constantFrom('k1', 'k2', 'k3', 'k4'), { nil: undefined }), crashAt: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }) }, { requiredKeys: ['kind', 'payer', 'points', 'second'] }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('spend' as const), points: fc.integer({ min: 1, max: 80 }), key: fc.option(fc.constantFrom('k1', 'k2', 'k3', 'k4'), { nil: undefined }), crashAt: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }) }, { requiredKeys: ['kind', 'points'] }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), index: fc.nat(20) }) },
);

describe('random sequences with keys, retries and crashes', () => {
  it('match a model that applies each keyed request at most once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 12 }), async (steps) => {
        const user = newUser('seq');
        const service = makeService();
        const model = new FifoModel();
        const firstAnswer = new Map<string, { fingerprint: string; reply: string }>();
        const sent: Exclude<Step, { kind: 'replay' }>[] = [];
        /** The model's answer as answerOf reports it: the spend's breakdown JSON, 'add', or the refusal code. */
        const modelAnswer = (step: Exclude<Step, { kind: 'replay' }>): string => {
          const answer = step.kind === 'spend' ? model.spend(step.points) : model.add(step.payer, step.points, timestampOf(step.second));
          if ('refused' in answer) return answer.refused;
          return step.kind === 'spend' ? JSON.stringify(answer) : 'add';
        };
        const fingerprintOf = (step: Exclude<Step, { kind: 'replay' }>) => JSON.stringify({ ...step, key: undefined, crashAt: undefined });
        const run = (svc: PointsService, step: Exclude<Step, { kind: 'replay' }>) => {
          const keyed = step.key ? idem(step.key, fingerprintOf(step)) : undefined;
          return step.kind === 'spend' ? svc.spend(user, spendBody(step.points), keyed) : svc.add(user, addBody(step.payer, step.points, step.second), keyed);
        };
        const answerOf = async (step: Exclude<Step, { kind: 'replay' }>) => {
          try {
            const reply = await run(service, step);
            if (reply.status !== 200) return JSON.parse(reply.body).code; // a replayed refusal
            return step.kind === 'spend' ? reply.body : 'add';
          } catch (error) {
            return (error as { code?: string }).code ?? String(error);
          }
        };

        for (const raw of steps) {
          const step = raw.kind === 'replay' ? sent[raw.index % Math.max(sent.length, 1)] : raw;
          if (!step) continue;
          if (raw.kind !== 'replay') sent.push(step);
          const earlier = step.key ? firstAnswer.get(step.key) : undefined;
          let expected: string;
          if (earlier) expected = earlier.fingerprint === fingerprintOf(step) ? earlier.reply : 'IDEMPOTENCY_KEY_REUSED';
          else {
            expected = modelAnswer(step);
            if (step.key) firstAnswer.set(step.key, { fingerprint: fingerprintOf(step), reply: expected });
          }
          // A crash before the answer: only keyed requests can be retried safely, so only they crash.
          if (step.key && step.crashAt !== undefined) await crashAfter(step.crashAt, (svc) => run(svc, step)).catch(() => false);
          expect(await answerOf(step)).toBe(expected);
          const balance = Object.fromEntries(await service.balance(user));
          for (const payer of ['A', 'B']) expect(balance[payer] ?? 0).toBe(model.balances.get(payer) ?? 0);
        }
      }),
      { numRuns: 25 },
    );
  }, 300_000);
});
