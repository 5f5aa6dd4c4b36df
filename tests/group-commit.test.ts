// Group commit (lib/domain/batch.ts): requests that wait together for one user are planned in arrival
// order against one state and written as one transaction. Checked against the FIFO model in
// arrival order, with refusals, keyed retries and a crash at every write.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { FailpointCrash } from '../lib/dynamo/client.js';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { spendBodySchema } from '../lib/domain/schemas/spend.js';
import { PointsService, type Reply } from '../lib/service/service.js';
import { FifoModel, comparable } from './support/fifo-model.js';
import { newUser } from './support/http.js';
import { ledgerOf, makeStore } from './support/store.js';

type Op =
  | { kind: 'add'; payer: string; points: number; second: number; key?: string }
  | { kind: 'spend'; points: number; key?: string };

const ts = (second: number) => `2024-01-01T00:${String(Math.floor(second / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}Z`;

/** A mixed workload: backdated adds, spends (some refused), a negative add, keyed requests and their retries. */
function workload(): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < 48; i++) {
    if (i % 4 === 3) ops.push({ kind: 'spend', points: i % 8 === 7 ? 10_000 : 7 + i, ...(i % 5 === 0 ? { key: `s${i}` } : {}) });
    else ops.push({ kind: 'add', payer: ['A', 'B', 'C'][i % 3]!, points: 5 + i, second: (i * 37) % 300, ...(i % 6 === 0 ? { key: `a${i}` } : {}) });
    if (i === 20) ops.push({ kind: 'add', payer: 'A', points: -3, second: 100 });
  }
  // Retries of earlier keys (same request) and a reuse of a key with another body.
  ops.push({ ...(ops[0] as Op) }, { ...(ops[3] as Op) }, { kind: 'spend', points: 1, key: 'a0' });
  return ops;
}

const fingerprintOf = (op: Op) => JSON.stringify(op.kind === 'add' ? [op.payer, op.points, op.second] : [op.points]);

function submit(service: PointsService, user: string, op: Op): Promise<Reply> {
  const idempotency = op.key ? { key: op.key, fingerprint: fingerprintOf(op) } : undefined;
  return op.kind === 'add'
    ? service.add(user, addBodySchema.parse({ payer: op.payer, points: op.points, timestamp: ts(op.second) }), idempotency)
    : service.spend(user, spendBodySchema.parse({ points: op.points }), idempotency);
}

/** What the model says each request must get, applied in arrival order (keys replay or refuse). */
function expectedAnswers(ops: readonly Op[], count = ops.length) {
  const model = new FifoModel();
  const byKey = new Map<string, { fingerprint: string; answer: unknown }>();
  const answers: unknown[] = [];
  for (const op of ops.slice(0, count)) {
    const first = op.key ? byKey.get(op.key) : undefined;
    if (first) {
      answers.push(first.fingerprint === fingerprintOf(op) ? first.answer : 'IDEMPOTENCY_KEY_REUSED');
      continue;
    }
    const result = op.kind === 'add' ? model.add(op.payer, op.points, ts(op.second)) : model.spend(op.points);
    const answer =
      'refused' in result
        ? result.refused
        : op.kind === 'spend'
          ? result
          : { type: 'add', payer: op.payer, points: op.points, timestamp: ts(op.second), ...(op.points > 0 ? { remaining: op.points } : {}) };
    answers.push(answer);
    if (op.key) byKey.set(op.key, { fingerprint: fingerprintOf(op), answer });
  }
  return { model, answers };
}

const answerOf = (outcome: PromiseSettledResult<Reply>) => {
  if (outcome.status === 'rejected') return (outcome.reason as { code?: string }).code ?? String(outcome.reason);
  const body = JSON.parse(outcome.value.body);
  if (Array.isArray(body)) return body;
  const { id: _id, ...rest } = body;
  return rest;
};

const addOf = (payer: string, second: number) => addBodySchema.parse({ payer, points: 5, timestamp: ts(second) });

async function stateOf(user: string) {
  const service = new PointsService(makeStore());
  return { items: await ledgerOf(service, user), balance: Object.fromEntries(await service.balance(user)) };
}

describe('group commit', () => {
  it('answers every request of a burst as if run alone in arrival order, in far fewer transactions', async () => {
    const store = makeStore();
    const commits = vi.spyOn(store, 'commit');
    const service = new PointsService(store);
    const user = newUser('group');
    const ops = workload();
    // Submitted without waiting: they queue in this order, and rounds take what waited.
    const outcomes = await Promise.allSettled(ops.map((op) => submit(service, user, op)));
    const { model, answers } = expectedAnswers(ops);
    expect(outcomes.map(answerOf)).toEqual(answers);
    expect(commits.mock.calls.length).toBeLessThan(ops.length / 4);
    const { items, balance } = await stateOf(user);
    expect(comparable(items)).toEqual(model.ledger());
    expect(balance).toEqual(model.balanceObject());
  });

  it('after a crash at any write of a burst, the ledger is the model run on a prefix of the arrival order', async () => {
    const ops = workload().filter((op) => !op.key);
    let crashedAtLeastOnce = false;
    for (let k = 0; k < 6; k++) {
      const user = newUser('gcrash');
      const service = new PointsService(makeStore(k));
      const outcomes = await Promise.allSettled(ops.map((op) => submit(service, user, op)));
      const crashed = outcomes.some((o) => o.status === 'rejected' && o.reason instanceof FailpointCrash);
      crashedAtLeastOnce ||= crashed;
      const { items, balance } = await stateOf(user);
      const prefixes = Array.from({ length: ops.length + 1 }, (_, n) => expectedAnswers(ops, n).model);
      const match = prefixes.findLastIndex((m) => isDeepStrictEqual(comparable(items), m.ledger()));
      expect(match, `k=${k}: the ledger is no prefix of the arrival order`).toBeGreaterThanOrEqual(0);
      expect(balance).toEqual(prefixes[match]!.balanceObject());
      // Every request answered 200 is in that prefix: nothing acknowledged was lost.
      expect(outcomes.map((o) => o.status === 'fulfilled').lastIndexOf(true)).toBeLessThan(match);
      if (!crashed) break;
    }
    expect(crashedAtLeastOnce).toBe(true);
  });

  it('rounds that follow each other plan on the account the previous one committed, without reading it again', async () => {
    const store = makeStore();
    const loads = vi.spyOn(store, 'load');
    const commits = vi.spyOn(store, 'commit');
    const service = new PointsService(store);
    const user = newUser('carry');
    // One round alone, then the 150 that waited meanwhile: 99 records fit in a transaction.
    const replies = await Promise.all(Array.from({ length: 151 }, (_, i) => service.add(user, addOf('A', i))));
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    expect(commits.mock.calls.length).toBe(3);
    expect(loads.mock.calls.length).toBe(1);
    expect(await service.balance(user)).toEqual([['A', 151 * 5]]);
  });

  it('a carried account that another instance made stale loses the race, and the round is planned again on a fresh account', async () => {
    const store = makeStore();
    const user = newUser('stale');
    const other = new PointsService(makeStore());
    const commit = store.commit.bind(store);
    let interleaved = false;
    store.commit = async (c) => {
      await commit(c);
      // Right after this instance's first commit, another instance writes for the same user.
      if (!interleaved) {
        interleaved = true;
        await other.add(user, addOf('OTHER', 0));
      }
    };
    const loads = vi.spyOn(store, 'load');
    const claims = vi.spyOn(store, 'claim');
    const service = new PointsService(store);
    const replies = await Promise.all(['A', 'B', 'C'].map((payer, i) => service.add(user, addOf(payer, i + 1))));
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200]);
    // The first round's read; after the lost race, the lease claim returns the fresh account.
    expect(loads.mock.calls.length).toBe(1);
    const claimed = await Promise.all(claims.mock.results.map((result) => result.value));
    expect(claimed.map((account) => account && [...account.balances.keys()])).toEqual([['A', 'OTHER']]);
    const { items, balance } = await stateOf(user);
    expect(items.map((item) => (item.type === 'add' ? item.payer : item.type))).toEqual(['A', 'OTHER', 'B', 'C']);
    expect(balance).toEqual({ A: 5, OTHER: 5, B: 5, C: 5 });
  });
});
