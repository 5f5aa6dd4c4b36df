// Several API instances (separate serverless-offline processes, like warm Lambda containers)
// on one DynamoDB Local, racing on one user with real concurrent HTTP requests. No instance
// knows what the others queue, so only what the service stores keeps the user serializable:
// the ledger, replayed through the FIFO model in the order it was recorded, must reproduce
// every breakdown, every lot's `remaining` and every balance, with no 409 and no 5xx other than
// SPEC's honest 503 for a request that could not be served within its 10 s.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, startApi, type Running } from '../scripts/stack.js';
import { FifoModel, comparable, inPool, isoAfter } from './support/fifo-model.js';
import { expectProblem } from './support/expect.js';
import { apiUrl, client, newUser, type Answer } from './support/http.js';

const INSTANCES = 3;
const CLIENTS = 12;
const started: Running[] = [];
let apis: ReturnType<typeof client>[] = [];

// One at a time, each with up to 120 s to be ready: started together on 2 busy cores, they can miss it.
beforeAll(async () => {
  // The run's API is the first instance; the others share its DynamoDB Local and table.
  for (let i = 1; i < INSTANCES; i++) {
    started.push(await startApi({ port: await freePort(), dynamoEndpoint: inject('dynamoEndpoint'), table: inject('table'), quiet: true }));
  }
  apis = [client(apiUrl), ...started.map((api) => client(() => api.url))];
}, 300_000);

afterAll(async () => {
  await Promise.all(started.map((api) => api.stop()));
});

const BASE = '2022-10-01T12:00:00Z';
/** Whole hours from BASE; negative hours make lots older than the seeded ones. */
const at = (hours: number) => isoAfter(BASE, hours * 3600);

type Op =
  | { kind: 'add'; payer: string; points: number; timestamp: string }
  | { kind: 'spend'; points: number };

interface Sent {
  op: Op;
  instance: number;
  key?: string;
  answers: Answer<any>[];
  /** When the first attempt was sent and answered (ms, performance.now). */
  start: number;
  end: number;
}

function send(user: string, op: Op, instance: number, key?: string): Promise<Answer<any>> {
  const api = apis[instance % INSTANCES]!;
  const headers = key ? { 'Idempotency-Key': key } : undefined;
  return op.kind === 'spend' ? api.spend(user, op.points, headers) : api.add(user, op.payer, op.points, op.timestamp, headers);
}

/** The refusal a request may legally get when the user lacks the points at its turn. */
const refusalOf = (op: Op) => (op.kind === 'spend' ? 'INSUFFICIENT_POINTS' : op.points < 0 ? 'INSUFFICIENT_PAYER_POINTS' : undefined);

/**
 * The ledger replayed one record at a time through the model: each spend's breakdown and each
 * negative add must be what the model does at that point, no payer ever goes below zero, and
 * the final ledger (every lot's `remaining` included) is the model's. Returns the model and the
 * states the user passed through, for judging refusals.
 */
function replayed(items: any[]) {
  const model = new FifoModel();
  const states: { total: number; balances: Map<string, number> }[] = [];
  items.forEach((item, order) => {
    if (item.type === 'spend') expect(item.breakdown, `spend #${order} of ${item.points}`).toEqual(model.spend(-item.points));
    else expect(model.add(item.payer, item.points, item.timestamp), `add #${order}`).not.toHaveProperty('refused');
    for (const [payer, n] of model.balances) expect(n, `payer ${payer} after record #${order}`).toBeGreaterThanOrEqual(0);
    states.push({ total: model.total, balances: new Map(model.balances) });
  });
  expect(comparable(items)).toEqual(model.ledger());
  return { model, states };
}

describe(`${INSTANCES} API instances on one DynamoDB Local`, () => {
  // Two more serverless-offline processes share the 2 cores: allow more than the default 60 s.
  it('race on one user with adds (some backdated), spends, negative adds and keyed retries across instances: the ledger is serial', { timeout: 180_000 }, async () => {
    const user = newUser('instances');
    const seeds: Op[] = [
      { kind: 'add', payer: 'A', points: 200, timestamp: at(0) },
      { kind: 'add', payer: 'B', points: 300, timestamp: at(1) },
      { kind: 'add', payer: 'C', points: 100, timestamp: at(2) },
    ];
    for (const [i, op] of seeds.entries()) expect((await send(user, op, i)).status).toBe(200);

    const adds: Op[] = Array.from({ length: 18 }, (_, i) => ({
      kind: 'add',
      payer: ['A', 'B', 'C', 'D'][i % 4]!,
      points: 10 + ((i * 7) % 40),
      // Every third add is older than every seeded lot, so spends after it must reach it first.
      timestamp: i % 3 === 0 ? at(-10 + (i % 7)) : at(10 + i),
    }));
    const spends: Op[] = Array.from({ length: 24 }, (_, i) => ({ kind: 'spend', points: 10 + ((i * 13) % 60) }));
    const deductions: Op[] = Array.from({ length: 9 }, (_, i) => ({ kind: 'add', payer: i % 2 ? 'A' : 'B', points: -(10 + ((i * 11) % 50)), timestamp: at(40 + i) }));
    // Interleaved, so that every instance gets every kind and they all arrive together.
    const ops = Array.from({ length: spends.length }, (_, i) => [adds[i], spends[i], deductions[i]]).flat().filter((op): op is Op => op !== undefined);
    const keyed = (i: number) => i % 6 === 3;

    // CLIENTS at a time, spread over the instances: each instance queues a few requests for the
    // user and races the others' commits, while no request waits behind a long queue.
    const sent: Sent[] = [];
    await inPool(ops.length, CLIENTS, async (i) => {
      const op = ops[i]!;
      const key = keyed(i) ? `${user}-k${i}` : undefined;
      const start = performance.now();
      const answers = [await send(user, op, i, key)];
      const end = performance.now();
      // A client retrying elsewhere: the same key and body on each other instance in turn.
      if (key) for (const next of [i + 1, i + 2]) answers.push(await send(user, op, next, key));
      sent.push({ op, instance: i % INSTANCES, ...(key ? { key } : {}), answers, start, end });
    });
    expect(sent).toHaveLength(ops.length);

    // The instances really raced: requests on different instances were in flight together.
    const overlapping = sent.some((a) => sent.some((b) => a.instance !== b.instance && a.start < b.end && b.start < a.end));
    expect(overlapping).toBe(true);

    // Every answer is a 200, the refusal the request may get, or a 503 SERVICE_UNAVAILABLE:
    // SPEC bounds every request to 10 s, and on a slow enough machine a request may wait longer
    // behind the others; then nothing was applied (checked below). Never a 409 or another 5xx.
    for (const { op, answers } of sent) {
      for (const answer of answers) {
        if (answer.status === 200) {
          // A real answer, not serverless-offline's 200 for a Lambda that timed out.
          if (op.kind === 'spend') expect(Array.isArray(answer.body), answer.text).toBe(true);
          else expect(answer.body, answer.text).toMatchObject({ type: 'add', payer: op.payer, points: op.points });
          continue;
        }
        if (answer.status === 503) {
          expectProblem(answer, 503, 'SERVICE_UNAVAILABLE');
          expect(answer.headers.get('retry-after')).not.toBeNull();
          continue;
        }
        expect({ status: answer.status, code: answer.body?.code }, `${JSON.stringify(op)}: ${answer.text}`).toEqual({ status: 400, code: refusalOf(op) });
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      // Once a keyed request has an outcome, every retry gets it again, whichever instance it reached
      // (each instance here is its own origin, and a problem's `type` names the origin it was asked at).
      const outcomes = answers.filter((a) => a.status !== 503).map((a) => ({ status: a.status, text: a.text.replace(/http:\/\/127\.0\.0\.1:\d+\/problems\//g, '/problems/') }));
      for (const retry of outcomes.slice(1)) expect(retry).toEqual(outcomes[0]);
    }
    const outcome = (s: Sent) => s.answers.find((a) => a.status !== 503);
    expect(sent.filter((s) => s.op.kind === 'add' && s.op.points > 0).every((s) => [undefined, 200].includes(outcome(s)?.status))).toBe(true);

    const items = await apis[2]!.ledger(user, 7);
    expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
    const { model, states } = replayed(items);

    // Each accepted request is exactly one record (keyed retries included); refusals and 503s none.
    const accepted = sent.filter((s) => outcome(s)?.status === 200);
    expect(accepted.some((s) => s.op.kind === 'spend') && accepted.some((s) => s.op.kind === 'add' && s.op.points > 0)).toBe(true);
    expect(items).toHaveLength(seeds.length + accepted.length);
    const addIds = accepted.filter((s) => s.op.kind === 'add').map((s) => outcome(s)!.body.id);
    expect(items.filter((item) => addIds.includes(item.id))).toHaveLength(addIds.length);
    const spendOf = (points: number, breakdown: unknown) => JSON.stringify({ points, breakdown });
    expect(items.filter((item) => item.type === 'spend').map((item) => spendOf(item.points, item.breakdown)).sort()).toEqual(
      accepted.flatMap((s) => (s.op.kind === 'spend' ? [spendOf(-s.op.points, outcome(s)!.body)] : [])).sort(),
    );

    // A refusal was right at some moment after the seeds: the user (or payer) lacked the points.
    const afterSeeds = states.slice(seeds.length - 1);
    for (const s of sent) {
      const op = s.op;
      if (outcome(s)?.status !== 400) continue;
      if (op.kind === 'spend') expect(afterSeeds.some((s) => s.total < op.points), `refused spend of ${op.points}`).toBe(true);
      else expect(afterSeeds.some((s) => (s.balances.get(op.payer) ?? 0) < -op.points), `refused negative add of ${op.points} on ${op.payer}`).toBe(true);
    }

    // Every instance shows the same balances, those of the model.
    for (const api of apis) {
      const answer = await api.balance(user);
      expect(answer.status).toBe(200);
      expect(Object.entries(answer.body).sort()).toEqual([...model.balances].sort());
    }
    for (const [payer, n] of model.balances) expect(n, payer).toBeGreaterThanOrEqual(0);
  });
});
