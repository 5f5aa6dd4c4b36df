// SPEC "Cost" for holds: a hold, capture or release reads and writes O(lots it touches + payers),
// never the history; a balance with pending lots and open holds is one read while nothing falls
// due. Counted by the store client's own request counters (lib/telemetry/metrics.ts).
import { describe, expect, it } from 'vitest';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { captureBodySchema, holdBodySchema } from '../lib/domain/schemas/hold.js';
import { spendBodySchema } from '../lib/domain/schemas/spend.js';
import { measure, type DbCost } from '../lib/telemetry/metrics.js';
import { newUser } from './support/http.js';
import { makeService } from './support/store.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const ts = (second: number) => new Date(T0 + second * 1000).toISOString();
const service = makeService(undefined, () => T0);

/** A user with `lots` lots of 2 points (3 payers in turn), after `history` one-point lots spent. */
async function userWith(lots: number, history = 0) {
  const user = newUser('hold-cost');
  const add = (payer: string, points: number, second: number, extra = {}) => service.add(user, addBodySchema.parse({ payer, points, timestamp: ts(second), ...extra }));
  await Promise.all(Array.from({ length: history }, (_, i) => add('OLD', 1, -100_000 + i)));
  if (history > 0) await service.spend(user, spendBodySchema.parse({ points: history }));
  await Promise.all(Array.from({ length: lots }, (_, i) => add(['A', 'B', 'C'][i % 3]!, 2, -lots + i)));
  return { user, add };
}

const cost = async (operation: () => Promise<unknown>): Promise<DbCost> => (await measure(operation)).cost;
const holdOf = async (user: string, points: number) => JSON.parse((await service.hold(user, holdBodySchema.parse({ points }))).body);

/** SPEC's O(lots + payers) as bench checks it (scripts/bench/cost.ts): about one item read and one written per lot. */
function expectLinear(c: DbCost, lots: number, payers: number) {
  expect(c.itemsRead + c.itemsWritten, JSON.stringify(c)).toBeLessThanOrEqual(3 * (lots + payers) + 20);
  expect(c.requests, JSON.stringify(c)).toBeLessThanOrEqual(8 + Math.ceil(lots / 97) * 2);
}

describe('cost of holds', () => {
  it.each([1, 30, 300])('a hold of %i lots, its partial capture and a release cost O(lots + payers)', async (lots) => {
    const { user } = await userWith(2 * lots + 5);
    expectLinear(await cost(() => holdOf(user, 2 * lots)), lots, 3);
    const held = (await service.transactions(user, 0, 1000)).items.map((r) => r.item).find((i) => i.type === 'hold')!;
    expectLinear(await cost(() => service.capture(user, held.id, captureBodySchema.parse({ points: lots }))), lots, 3);
    const second = await holdOf(user, 2 * lots);
    expectLinear(await cost(() => service.release(user, second.id)), lots, 3);
  }, 120_000);

  it('does not grow with the history', async () => {
    const costs = [];
    for (const history of [0, 400]) {
      const { user } = await userWith(10, history);
      const hold = await cost(() => holdOf(user, 3));
      const held = (await service.transactions(user, 0, 1000)).items.map((r) => r.item).filter((i) => i.type === 'hold').at(-1)!;
      const capture = await cost(() => service.capture(user, held.id, captureBodySchema.parse({ points: 1 })));
      costs.push([hold, capture].map((c) => ({ requests: c.requests, itemsRead: c.itemsRead, itemsWritten: c.itemsWritten })));
    }
    expect(costs[1]).toEqual(costs[0]);
  }, 120_000);

  it('a balance with pending lots and open holds is one read while nothing falls due', async () => {
    const { user, add } = await userWith(20);
    await add('P', 50, 0, { availableAt: ts(3600), expiresAt: ts(7200) });
    await holdOf(user, 5);
    await service.hold(user, holdBodySchema.parse({ points: 7, expiresAt: ts(600) }));
    for (const read of [() => service.balance(user), () => service.balanceDetail(user)]) {
      const c = await cost(read);
      expect({ requests: c.requests, readRequests: c.readRequests, itemsRead: c.itemsRead }).toEqual({ requests: 1, readRequests: 1, itemsRead: 1 });
    }
  }, 120_000);
});
