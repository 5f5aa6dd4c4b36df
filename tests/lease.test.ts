// The write lease (lib/dynamo/lease.ts): an instance that keeps losing races for a user claims its
// account for a moment; other instances wait for it instead of sending transactions that lose.
// Two stores on one table stand for two instances.
import { describe, expect, it, vi } from 'vitest';
import { LEASE_MS } from '../lib/dynamo/lease.js';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { RoundLease } from '../lib/service/round-lease.js';
import { PointsService } from '../lib/service/service.js';
import type { Store } from '../lib/service/store.js';
import { newUser } from './support/http.js';
import { ledgerOf, makeStore } from './support/store.js';

/** Whether `store` got the lease (a claim returns the account, or nothing). */
const claims = async (store: Store, user: string) => (await store.claim(user)) !== undefined;

const add = (payer: string) => addBodySchema.parse({ payer, points: 10, timestamp: '2024-01-01T00:00:00Z' });

async function userWithAccount() {
  const user = newUser();
  const a = makeStore();
  const b = makeStore();
  await new PointsService(a).add(user, add('SEED'));
  return { user, a, b, serviceA: new PointsService(a), serviceB: new PointsService(b) };
}

describe('write lease', () => {
  it('is held by one instance at a time, and others see how long it runs', async () => {
    const { user, a, b } = await userWithAccount();
    expect(await claims(a, user)).toBe(true);
    expect(await claims(a, user)).toBe(true); // its holder may renew it
    expect(await claims(b, user)).toBe(false);
    const seen = (await b.load(user)).busyForMs;
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(LEASE_MS);
    expect((await a.load(user)).busyForMs).toBe(0);
    await a.release(user);
    expect((await b.load(user)).busyForMs).toBe(0);
    expect(await claims(b, user)).toBe(true);
  });

  it('returns the account as the claim left it, so a round that claims reads nothing more', async () => {
    const { user, a, b, serviceA } = await userWithAccount();
    const claimed = await a.claim(user);
    expect(claimed).toEqual((await a.load(user)).account);
    await a.release(user);

    // B loses one race to A (A commits between B's read and B's commit), then claims and commits.
    const [load, claim] = [vi.spyOn(b, 'load'), vi.spyOn(b, 'claim')];
    const commit = b.commit.bind(b);
    let raced = false;
    b.commit = async (...args) => {
      if (!raced) {
        raced = true;
        expect((await serviceA.add(user, add('A'))).status).toBe(200);
      }
      return commit(...args);
    };
    expect((await new PointsService(b).add(user, add('B'))).status).toBe(200);
    expect({ load: load.mock.calls.length, claim: claim.mock.calls.length }).toEqual({ load: 1, claim: 1 });
    expect((await ledgerOf(serviceA, user)).map((item) => (item.type === 'add' ? item.payer : item.type))).toEqual(['SEED', 'A', 'B']);
  });

  it('cannot be claimed on an account that does not exist yet', async () => {
    expect(await claims(makeStore(), newUser())).toBe(false);
  });

  it('makes other instances wait until it ends by itself, then they are served', async () => {
    const { user, a, serviceB } = await userWithAccount();
    expect(await claims(a, user)).toBe(true);
    const start = performance.now();
    const reply = await serviceB.add(user, add('B'));
    expect(reply.status).toBe(200);
    expect(performance.now() - start).toBeGreaterThanOrEqual(LEASE_MS * 0.8);
  });

  it("ends with its holder's commit, which lands first; the waiting instance follows at once", async () => {
    const { user, a, serviceA, serviceB } = await userWithAccount();
    expect(await claims(a, user)).toBe(true);
    const start = performance.now();
    const waiting = serviceB.add(user, add('B'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await serviceA.add(user, add('A'))).status).toBe(200);
    expect((await waiting).status).toBe(200);
    expect(performance.now() - start).toBeLessThan(LEASE_MS);
    expect((await ledgerOf(serviceA, user)).map((item) => (item.type === 'add' ? item.payer : item.type))).toEqual(['SEED', 'A', 'B']);
    expect(await claims(makeStore(), user)).toBe(true); // nothing left held
  });

  it('a round claims it only after a lost race, waits while another holds it, and lets go at its end', async () => {
    const { user, a, b } = await userWithAccount();
    const roundA = new RoundLease(a, user);
    await roundA.beforeAttempt(0);
    expect(await claims(b, user)).toBe(true); // A has not claimed: B can
    await b.release(user);
    await roundA.beforeAttempt(1);
    expect(await claims(b, user)).toBe(false);
    const roundB = new RoundLease(b, user);
    const start = performance.now();
    expect(await roundB.waitedForOther((await b.load(user)).busyForMs)).toBe(true);
    expect(performance.now() - start).toBeGreaterThanOrEqual(10);
    await roundA.end();
    expect(await roundB.waitedForOther((await b.load(user)).busyForMs)).toBe(false);
    expect(await claims(b, user)).toBe(true);
  });

  it('is never claimed without a lost race: several upkeep steps in one round take none', async () => {
    const store = makeStore();
    const claim = vi.spyOn(store, 'claim');
    let now = Date.parse('2024-06-01T00:00:00Z');
    const service = new PointsService(store, { now: () => now });
    const user = newUser();
    // 120 lots that expire together: recording their expiry takes several transactions.
    await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        service.add(user, addBodySchema.parse({ payer: 'P', points: 1, timestamp: `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`, expiresAt: '2024-07-01T00:00:00Z' })),
      ),
    );
    now = Date.parse('2024-08-01T00:00:00Z');
    expect(await service.balance(user)).toEqual([['P', 0]]);
    expect(claim.mock.calls.length).toBe(0);
  });
});
