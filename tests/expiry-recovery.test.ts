// Crash safety of reversals and expiry with the store's failpoint (POINTS_FAILPOINT_AFTER_WRITES):
// a process that dies after any DynamoDB write of a 250-lot reversal, or of a 250-lot expiry
// batch, leaves the user in one legal state once the next request has run, and later operations
// are correct. The service's clock is injected, so lots expire without waiting.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { spendBodySchema } from '../lib/domain/schemas/spend.js';
import type { PointsService } from '../lib/service/service.js';
import { FifoModel, comparable, ledgerSums } from './support/fifo-model.js';
import { newUser } from './support/http.js';
import { crashAfter, ledgerOf, makeService } from './support/store.js';

const BASE = Date.UTC(2020, 0, 1);
const T0 = Date.UTC(2030, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const timestampOf = (second: number) => iso(BASE + second * 1000);
const idem = (key: string, fingerprint: string) => ({ key, fingerprint });
type ReverseBody = Parameters<PointsService['reverse']>[2];
const reverseBody = (points?: number) => (points === undefined ? {} : { points }) as ReverseBody;

interface Lot {
  payer: string;
  points: number;
  second: number;
  expiresAt?: number;
}

/** Adds the lots in order, on a service whose clock reads `at`, and to each model. */
async function addAll(user: string, lots: Lot[], at: number, models: FifoModel[]) {
  const service = makeService(undefined, () => at);
  for (const lot of lots) {
    const expiresAt = lot.expiresAt === undefined ? undefined : iso(lot.expiresAt);
    const body = addBodySchema.parse({ payer: lot.payer, points: lot.points, timestamp: timestampOf(lot.second), ...(expiresAt ? { expiresAt } : {}) });
    const reply = await service.add(user, body);
    expect(reply.status, reply.body).toBe(200);
    for (const model of models) model.add(lot.payer, lot.points, timestampOf(lot.second), timestampOf(lot.second), { ...(expiresAt ? { expiresAt } : {}), now: at });
  }
}

/** The whole ledger and the balances, read by a healthy service whose clock reads `at`. */
async function observe(user: string, at: number) {
  const service = makeService(undefined, () => at);
  const balance = Object.fromEntries(await service.balance(user));
  const items: any[] = await ledgerOf(service, user);
  expect(balance, 'balances equal the sum of the ledger').toEqual(ledgerSums(items));
  return { balance, items };
}

/** Without undefined fields, as JSON would carry it (key order does not matter to the comparison). */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

/** Which of the legal models the observed state is, or a failure showing the state and both models. */
function whichOf(state: { balance: Record<string, number>; items: any[] }, legal: Record<string, FifoModel>): string {
  const seen = comparable(state.items);
  const match = Object.entries(legal).find(([, model]) => isDeepStrictEqual(plain(seen), plain(model.ledger())));
  if (!match) expect(seen, `not one of the legal outcomes ${Object.keys(legal).join(', ')}`).toEqual(Object.values(legal)[0]!.ledger());
  expect(state.balance).toEqual(match![1].balanceObject());
  return match![0];
}

describe('failpoint after every write of a 250-lot reversal', () => {
  // 250 old lots of A, B, C (1-4 points), then 5 newer lots of N; a spend takes the 250 old ones.
  const lots: Lot[] = [
    ...Array.from({ length: 250 }, (_, i) => ({ payer: ['A', 'B', 'C'][i % 3]!, points: 1 + (i % 4), second: i })),
    ...Array.from({ length: 5 }, (_, i) => ({ payer: 'N', points: 10, second: 100_000 + i })),
  ];
  const spent = lots.slice(0, 250).reduce((n, l) => n + l.points, 0);
  // All but the first 3 points (lots 0 and 1): the first lot given back to is the last one taken.
  const reversed = spent - 3;

  async function prepared(user: string) {
    const models = { none: new FifoModel(), all: new FifoModel() };
    await addAll(user, lots, T0, Object.values(models));
    const reply = await makeService(undefined, () => T0).spend(user, spendBodySchema.parse({ points: spent }));
    expect(reply.status).toBe(200);
    for (const model of Object.values(models)) model.spend(spent, { now: T0 });
    models.all.reverse(0, reversed, { now: T0 });
    const spendId = (await observe(user, T0)).items.at(-1).id as string;
    return { models, spendId };
  }

  it('leaves the reversal wholly applied or not at all for every k; the next request and later ones are correct', async () => {
    const seen = new Set<string>();
    let k = 0;
    for (; k < 30; k++) {
      const user = newUser('crash-rev');
      const { models, spendId } = await prepared(user);
      const crashed = await crashAfter(k, (service) => service.reverse(user, spendId, reverseBody(reversed)), () => T0);
      // The next request: 1 point, from lot 2 (C) if the reversal is in, else from N's first lot.
      const next = await makeService(undefined, () => T0).spend(user, spendBodySchema.parse({ points: 1 }));
      expect(next.status).toBe(200);
      for (const model of Object.values(models)) model.spend(1, { now: T0 });
      const outcome = whichOf(await observe(user, T0), models);
      expect(JSON.parse(next.body)).toEqual([{ payer: outcome === 'all' ? 'C' : 'N', points: -1 }]);
      seen.add(outcome);
      if (!crashed) {
        expect(outcome).toBe('all');
        break;
      }
      // Later operations: the rest of the spend comes back, then everything is spent again.
      const service = makeService(undefined, () => T0);
      const rest = await service.reverse(user, spendId, reverseBody());
      expect(rest.status, rest.body).toBe(200);
      const model = models[outcome as keyof typeof models];
      expect(JSON.parse(rest.body).breakdown).toEqual(model.reverse(0));
      const all = model.total;
      const again = await service.spend(user, spendBodySchema.parse({ points: all }));
      expect(JSON.parse(again.body)).toEqual(model.spend(all, { now: T0 }));
      expect(whichOf(await observe(user, T0), { [outcome]: model })).toBe(outcome);
    }
    // The reversal gives back 249 lots: it cannot fit in fewer than 3 transactions.
    expect(k).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual(new Set(['none', 'all']));
  }, 600_000);

  it('a retry with the same Idempotency-Key after a crash at any k applies it exactly once', async () => {
    for (let k = 0; k < 4; k++) {
      const user = newUser('crash-rev-key');
      const { models, spendId } = await prepared(user);
      const key = idem(`crash-${k}`, `reverse ${reversed}`);
      await crashAfter(k, (service) => service.reverse(user, spendId, reverseBody(reversed), key), () => T0);
      const reply = await makeService(undefined, () => T0).reverse(user, spendId, reverseBody(reversed), key);
      expect(reply.status, reply.body).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ type: 'reversal', spend: spendId, points: reversed });
      const again = await makeService(undefined, () => T0).reverse(user, spendId, reverseBody(reversed), key);
      expect(again).toEqual({ ...reply, replayed: true });
      expect(whichOf(await observe(user, T0), { all: models.all })).toBe('all');
    }
  }, 600_000);
});

describe('failpoint after every write of a 250-lot expiry batch', () => {
  const DUE = T0 + 3600_000;
  const LATER = DUE + 3600_000;
  // 250 lots expiring in an order unlike the order received, two at each instant; 5 lots of N never expire.
  const lots: Lot[] = [
    ...Array.from({ length: 250 }, (_, i) => ({ payer: ['A', 'B', 'C'][i % 3]!, points: 1 + (i % 4), second: i, expiresAt: DUE + ((i * 37) % 125) * 1000 })),
    ...Array.from({ length: 5 }, (_, i) => ({ payer: 'N', points: 10, second: 100_000 + i })),
  ];

  describe.each([
    { name: 'a balance read', run: (service: PointsService, user: string) => service.balance(user), applies: false },
    { name: 'a keyed spend', run: (service: PointsService, user: string) => service.spend(user, spendBodySchema.parse({ points: 5 }), idem('spend-after-expiry', 'spend 5')), applies: true },
  ])('found by $name', ({ run, applies }) => {
    it('records every expire item exactly once, in expiresAt order, for every k; later operations are correct', async () => {
      let k = 0;
      const seen = new Set<string>();
      for (; k < 30; k++) {
        const user = newUser('crash-exp');
        const models: Record<string, FifoModel> = applies ? { none: new FifoModel(), all: new FifoModel() } : { none: new FifoModel() };
        await addAll(user, lots, T0, Object.values(models));
        for (const model of Object.values(models)) model.expire(LATER);
        models.all?.spend(5, { now: LATER });
        const crashed = await crashAfter(k, (service) => run(service, user), () => LATER);

        // The next request, a balance read, already sees every lot expired and nothing else changed.
        const balance = Object.fromEntries(await makeService(undefined, () => LATER).balance(user));
        const state = await observe(user, LATER);
        const outcome = whichOf(state, models);
        seen.add(outcome);
        expect(balance).toEqual(models[outcome]!.balanceObject());
        const expires = state.items.filter((item) => item.type === 'expire');
        expect(expires).toHaveLength(250);
        expect(expires.map((item) => Date.parse(item.timestamp))).toEqual(lots.slice(0, 250).map((l) => l.expiresAt!).sort((a, b) => a - b));
        if (applies) {
          // The keyed retry answers as the spend was (or is now) applied, exactly once.
          const retry = await makeService(undefined, () => LATER).spend(user, spendBodySchema.parse({ points: 5 }), idem('spend-after-expiry', 'spend 5'));
          expect(JSON.parse(retry.body)).toEqual([{ payer: 'N', points: -5 }]);
          if (outcome === 'none') models.none!.spend(5, { now: LATER });
        }
        const model = models[outcome]!;
        // Later operations: only N's points are left to spend or deduct.
        const service = makeService(undefined, () => LATER);
        expect(JSON.parse((await service.spend(user, spendBodySchema.parse({ points: 1 }))).body)).toEqual(model.spend(1, { now: LATER }));
        await expect(service.add(user, addBodySchema.parse({ payer: 'A', points: -1, timestamp: timestampOf(300_000) }))).rejects.toMatchObject({ code: 'INSUFFICIENT_PAYER_POINTS' });
        expect(whichOf(await observe(user, LATER), { after: model })).toBe('after');
        if (!crashed) break;
      }
      // 250 expire items and 250 lot updates cannot fit in fewer than 3 transactions.
      expect(k).toBeGreaterThanOrEqual(3);
      if (applies) expect(seen).toEqual(new Set(['none', 'all']));
    }, 600_000);
  });
});
