// Crash safety of holds of many lots (SPEC "Holds … are atomic … whatever the number of lots"):
// a hold of 1,000 lots and its partial capture, with the store's failpoint firing after every
// write in turn. Once the next request has run, the user is in exactly one of the two legal
// states, to every lot's remaining; a keyed retry then applies the operation exactly once.
import { describe, expect, it } from 'vitest';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { captureBodySchema, holdBodySchema } from '../lib/domain/schemas/hold.js';
import type { PointsService } from '../lib/service/service.js';
import { FifoModel, comparable } from './support/fifo-model.js';
import { newUser } from './support/http.js';
import { crashAfter, ledgerOf, makeService, makeStore } from './support/store.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const clock = () => T0;
const ts = (second: number) => new Date(Date.UTC(2020, 0, 1) + second * 1000).toISOString().replace('.000Z', 'Z');
const EXPIRES = new Date(T0 + 86_400_000).toISOString().replace('.000Z', 'Z');
const LOTS = [
  ...Array.from({ length: 1000 }, (_, i) => ({ payer: ['A', 'B', 'C'][i % 3]!, points: 1 + (i % 3), second: i })),
  ...Array.from({ length: 5 }, (_, i) => ({ payer: 'N', points: 10, second: 100_000 + i })),
];
const HELD = LOTS.slice(0, 1000).reduce((n, lot) => n + lot.points, 0);
const CAPTURED = 1001; // about half: the release gives back about 500 lots

const holdBody = holdBodySchema.parse({ points: HELD, expiresAt: EXPIRES });
const captureBody = captureBodySchema.parse({ points: CAPTURED });

/** A user with the lots, and models of it before the hold, after the hold and after the capture. */
async function setup() {
  const user = newUser('hold-crash');
  const service = makeService(undefined, clock);
  // Reverse arrival order; the group commit writes them a transaction of about a hundred at a time.
  await Promise.all([...LOTS].reverse().map((lot) => service.add(user, addBodySchema.parse({ payer: lot.payer, points: lot.points, timestamp: ts(lot.second) }))));
  const model = (steps: number) => {
    const m = new FifoModel();
    for (const lot of [...LOTS].reverse()) m.add(lot.payer, lot.points, ts(lot.second));
    if (steps >= 1) m.hold(HELD, { now: T0, expiresAt: EXPIRES });
    if (steps >= 2) m.capture(0, CAPTURED, { now: T0 });
    return m;
  };
  return { user, models: [model(0), model(1), model(2)] };
}

/** Which of the models the user's observable state is, once the next request has recovered it. */
async function outcome(user: string, models: FifoModel[]): Promise<number> {
  const service = makeService(undefined, clock);
  const items = await ledgerOf(service, user);
  expect((await makeStore().load(user)).account.pending).toBeUndefined();
  const detail = Object.fromEntries(await service.balanceDetail(user));
  const index = models.findIndex((m) => JSON.stringify(comparable(items)) === JSON.stringify(m.ledger()));
  expect(index, 'the ledger is one of the legal states').toBeGreaterThanOrEqual(0);
  expect(detail).toEqual(models[index]!.detail());
  return index;
}

const holdId = async (user: string) => (await ledgerOf(makeService(undefined, clock), user)).find((i) => i.type === 'hold')!.id;

describe('a hold of 1,000 lots and its partial capture, with a crash after every write', () => {
  it('leave exactly one legal state for every k, and a keyed retry applies them once', async () => {
    const seen = new Set<string>();
    let crashedHold = true;
    let crashedCapture = true;
    for (let k = 0; (crashedHold || crashedCapture) && k < 40; k++) {
      const { user, models } = await setup();
      const hold = (key: string) => (svc: PointsService) => svc.hold(user, holdBody, { key, fingerprint: 'hold' });
      crashedHold = await crashAfter(k, hold('h'), clock);
      const afterHold = await outcome(user, models);
      seen.add(`hold:${afterHold}`);
      if (crashedHold) {
        // The retry gets the hold's answer, applied once, whichever state the crash left.
        const reply = await hold('h')(makeService(undefined, clock));
        expect(reply.status).toBe(200);
        expect(await outcome(user, models)).toBe(1);
      } else expect(afterHold).toBe(1);
      const id = await holdId(user);
      const capture = (svc: PointsService) => svc.capture(user, id, captureBody, { key: 'c', fingerprint: 'capture' });
      crashedCapture = await crashAfter(k, capture, clock);
      const afterCapture = await outcome(user, models);
      seen.add(`capture:${afterCapture}`);
      if (crashedCapture) {
        const reply = await capture(makeService(undefined, clock));
        expect(reply.status).toBe(200);
        expect(JSON.parse(reply.body)).toMatchObject({ type: 'spend', points: -CAPTURED, hold: id });
      }
      expect(await outcome(user, models)).toBe(2);
    }
    expect(crashedHold || crashedCapture, 'the failpoint stopped firing: every write was covered').toBe(false);
    // Both operations span several transactions (first commit, then roll-forward batches).
    expect(seen).toEqual(new Set(['hold:0', 'hold:1', 'capture:1', 'capture:2']));
  }, 900_000);
});
