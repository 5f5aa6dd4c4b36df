// SPEC "Bounded and honest under faults", on the real stack: an API of its own whose DynamoDB is
// DynamoDB Local behind tests/support/fault-proxy.ts. Every answer through it must come within
// 10 s (plus slack for this loaded machine), be the normal answer or a 503 with Retry-After, and
// tell the truth: SERVICE_UNAVAILABLE only when nothing was applied, 200 only when it was, keyed
// retries applied exactly once. After every scenario, with faults off, balances equal the ledger.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseTimestamp } from '../lib/domain/timestamp.js';
import { random as seeded } from '../scripts/bench/history.js';
import { freePort, startApi, type Running } from '../scripts/stack.js';
import { expectProblem } from './support/expect.js';
import { FaultProxy, type FaultMode, type Only } from './support/fault-proxy.js';
import { FifoModel, comparable, inPool, isoAfter, ledgerSums } from './support/fifo-model.js';
import { client, newUser, type Answer } from './support/http.js';
import { makeService } from './support/store.js';

const SEED = Number(process.env.FAULT_SEED ?? 9_2026);
/** SPEC's 10 s, plus slack for the emulator on a machine shared with other test files. */
const BOUND_MS = 10_000 + 1_500;
const BASE = '2024-01-01T00:00:00Z';

let proxy: FaultProxy;
let api: Running | undefined;
const direct = makeService();

beforeAll(async () => {
  proxy = await FaultProxy.start(inject('dynamoEndpoint'), { seed: SEED });
  api = await startApi({ port: await freePort(), dynamoEndpoint: proxy.url, table: inject('table'), quiet: true });
  // Load every route's code before timing anything: a cold start is not a fault.
  const user = newUser('warm');
  for (let i = 0; i < 3; i++) {
    await Promise.all([
      http.add(user, 'W', 1, BASE),
      http.spend(user, 1),
      http.balance(user),
      http.call('GET', `/users/${user}/transactions`),
      http.call('POST', `/users/${user}/holds`, { points: 1 }),
      http.call('POST', `/users/${user}/holds/1-00000000/capture`, {}),
      http.call('POST', `/users/${user}/holds/1-00000000/release`),
    ]);
  }
}, 180_000);

afterAll(async () => {
  await api?.stop();
  await proxy?.close();
});

const http = client(() => {
  if (!api) throw new Error('the API is not running');
  return api.url;
});

/** Sends a request through the faulty stack and checks SPEC's bound on its time. */
async function bounded(request: () => Promise<Answer<any>>): Promise<Answer<any>> {
  const started = Date.now();
  const answer = await request();
  const ms = Date.now() - started;
  expect(ms, `answered ${answer.status} after ${ms} ms`).toBeLessThanOrEqual(BOUND_MS);
  return answer;
}

/** A 503 as SPEC wants it: problem+json with the code and a Retry-After in seconds. */
function expectUnavailable(answer: Answer<any>, code: 'SERVICE_UNAVAILABLE' | 'OUTCOME_UNKNOWN') {
  expectProblem(answer, 503, code);
  expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
}

/** With faults off: what /balance says equals the ledger's sums, and the open lots hold it. */
async function expectConsistent(user: string): Promise<any[]> {
  proxy.pass();
  const items = await http.ledger(user);
  const sums = ledgerSums(items);
  const open: Record<string, number> = {};
  for (const item of items) if (item.type === 'add' && item.points > 0) open[item.payer] = (open[item.payer] ?? 0) + item.remaining;
  const balance = await http.balance(user);
  expect(balance.status, balance.text).toBe(200);
  expect(balance.body).toEqual(sums);
  for (const [payer, points] of Object.entries(sums)) expect(open[payer] ?? 0, payer).toBe(points);
  return items;
}

type Expectation = 200 | 'SERVICE_UNAVAILABLE' | 'OUTCOME_UNKNOWN';

interface Route {
  name: 'add' | 'spend' | 'reverse' | 'hold' | 'capture' | 'release' | 'balance' | 'transactions';
  write: boolean;
  /** Makes what the request needs beyond the two lots every user gets. */
  prepare?(user: string): Promise<void>;
  send(user: string, key: string): Promise<Answer<any>>;
}

/** The spend to reverse, per user (made without faults by the reverse route's prepare). */
const spendIds = new Map<string, string>();
/** The hold to capture or release, per user (made without faults by those routes' prepare). */
const holdIds = new Map<string, string>();
const heldFor = async (user: string) => {
  const reply = await direct.hold(user, { points: 12 });
  expect(reply.status).toBe(200);
  holdIds.set(user, JSON.parse(reply.body).id);
};

const ROUTES: Route[] = [
  { name: 'add', write: true, send: (user, key) => http.add(user, 'NEW', 7, isoAfter(BASE, 3600), { 'Idempotency-Key': key }) },
  { name: 'spend', write: true, send: (user, key) => http.spend(user, 15, { 'Idempotency-Key': key }) },
  {
    name: 'reverse',
    write: true,
    prepare: async (user) => {
      expect((await direct.spend(user, { points: 12 })).status).toBe(200);
      const { items } = await direct.transactions(user, 0, 10);
      spendIds.set(user, items.find(({ item }) => item.type === 'spend')!.item.id);
    },
    send: (user, key) => http.call('POST', `/users/${user}/spends/${spendIds.get(user)}/reverse`, {}, { 'Idempotency-Key': key }),
  },
  { name: 'hold', write: true, send: (user, key) => http.call('POST', `/users/${user}/holds`, { points: 15 }, { 'Idempotency-Key': key }) },
  { name: 'capture', write: true, prepare: heldFor, send: (user, key) => http.call('POST', `/users/${user}/holds/${holdIds.get(user)}/capture`, {}, { 'Idempotency-Key': key }) },
  { name: 'release', write: true, prepare: heldFor, send: (user, key) => http.call('POST', `/users/${user}/holds/${holdIds.get(user)}/release`, undefined, { 'Idempotency-Key': key }) },
  { name: 'balance', write: false, send: (user) => http.balance(user) },
  { name: 'transactions', write: false, send: (user) => http.call('GET', `/users/${user}/transactions?limit=10`) },
];

/** Adds straight to DynamoDB Local, without faults or the emulator's overhead. */
async function addDirectly(user: string, payer: string, points: number, timestamp: string, model?: FifoModel) {
  const parsed = parseTimestamp(timestamp);
  if ('error' in parsed) throw new Error(parsed.error);
  expect((await direct.add(user, { payer, points, timestamp: parsed })).status).toBe(200);
  model?.add(payer, points, timestamp);
}

/** A user with two lots. */
async function seededUser(): Promise<string> {
  const user = newUser('fault');
  await addDirectly(user, 'A', 10, isoAfter(BASE, 0));
  await addDirectly(user, 'B', 20, isoAfter(BASE, 60));
  return user;
}

interface Scenario {
  name: string;
  setup(): void;
  /** Send the routes one after another, with a fresh setup() each (for policies with state). */
  oneByOne?: boolean;
  /** Per route; absent routes are not sent in this scenario. */
  expect: Partial<Record<Route['name'], Expectation | Expectation[]>>;
}

const everyRoute = (answer: Expectation): Scenario['expect'] => writesThenReads(answer, answer);
const writesThenReads = (writes: Expectation, reads: Expectation): Scenario['expect'] => ({
  add: writes,
  spend: writes,
  reverse: writes,
  hold: writes,
  capture: writes,
  release: writes,
  balance: reads,
  transactions: reads,
});
const faulted = (mode: FaultMode, only?: Only, options: { hangMs?: number; slowMs?: number } = {}) => () => {
  proxy.hangMs = options.hangMs;
  proxy.slowMs = options.slowMs ?? 1500;
  proxy.always(mode, only);
};

const SCENARIOS: Scenario[] = [
  // Every call fails: the first read fails, so nothing is ever sent to be applied.
  { name: 'hang on every call', setup: faulted('hang'), expect: everyRoute('SERVICE_UNAVAILABLE') },
  { name: 'reset on every call', setup: faulted('reset'), expect: everyRoute('SERVICE_UNAVAILABLE') },
  { name: 'throttle on every call', setup: faulted('throttle'), expect: everyRoute('SERVICE_UNAVAILABLE') },
  { name: '500 on every call', setup: faulted('error500'), expect: everyRoute('SERVICE_UNAVAILABLE') },
  { name: 'lost answer to every call', setup: faulted('lost'), expect: everyRoute('SERVICE_UNAVAILABLE') },
  { name: 'slow (1.5 s) on every call', setup: faulted('slow', undefined, { slowMs: 1500 }), expect: everyRoute(200) },
  // Writes fail, reads work: writes are sent, their outcome is read back.
  { name: 'hang on every write', setup: faulted('hang', 'writes'), expect: writesThenReads('SERVICE_UNAVAILABLE', 200) },
  { name: 'reset on every write', setup: faulted('reset', 'writes'), expect: writesThenReads('SERVICE_UNAVAILABLE', 200) },
  { name: 'throttle on every write', setup: faulted('throttle', 'writes'), expect: writesThenReads('SERVICE_UNAVAILABLE', 200) },
  { name: '500 on every write', setup: faulted('error500', 'writes'), expect: writesThenReads('SERVICE_UNAVAILABLE', 200) },
  { name: 'lost answer to every write', setup: faulted('lost', 'writes'), expect: writesThenReads(200, 200) },
  { name: 'slow (4 s) on every write', setup: faulted('slow', 'writes', { slowMs: 4000 }), expect: writesThenReads(200, 200) },
  {
    // The write lands, its answer is lost, and from then on reads hang: nobody can know.
    name: 'lost answer, then reads hang',
    oneByOne: true,
    setup: () => {
      proxy.hangMs = undefined;
      let lost = false;
      proxy.use((call) => {
        if (call.write) return (lost = true), 'lost';
        return lost ? 'hang' : 'pass';
      });
    },
    expect: { add: 'OUTCOME_UNKNOWN', spend: 'OUTCOME_UNKNOWN', reverse: 'OUTCOME_UNKNOWN', hold: 'OUTCOME_UNKNOWN', capture: 'OUTCOME_UNKNOWN', release: 'OUTCOME_UNKNOWN' },
  },
  {
    name: 'random faults on half the calls',
    setup: () => {
      proxy.hangMs = 2000;
      proxy.slowMs = 500;
      proxy.randomly(0.5);
    },
    expect: {
      ...Object.fromEntries(ROUTES.map((route) => [route.name, route.write ? [200, 'SERVICE_UNAVAILABLE', 'OUTCOME_UNKNOWN'] : [200, 'SERVICE_UNAVAILABLE']])),
    },
  },
];

it('the OpenAPI document declares the 503 and its Retry-After on every route that uses the database', async () => {
  const document = (await http.call('GET', '/openapi.json')).body;
  const operations = Object.values(document.paths as Record<string, Record<string, any>>).flatMap((path) => Object.values(path));
  for (const operation of operations) {
    // The document itself, the pages (their HTML and assets) and the error codes' pages never touch the database.
    if (/^(openapi|problems|docs|console)(Asset)?$/.test(operation.operationId)) expect(operation.responses[503]).toBeUndefined();
    else expect(operation.responses[503]?.headers?.['Retry-After'], operation.operationId).toBeDefined();
  }
  expect(operations.length).toBeGreaterThan(4);
});

describe('each fault against each route', () => {
  it.each(SCENARIOS)('$name', async (scenario) => {
    const routes = ROUTES.filter((route) => scenario.expect[route.name] !== undefined);
    const users = await Promise.all(
      routes.map(async (route) => {
        const user = await seededUser();
        await route.prepare?.(user);
        return user;
      }),
    );
    const before = await Promise.all(users.map((user) => http.ledger(user)));
    const keys = routes.map(() => `fault-${randomUUID()}`);
    const faultsBefore = proxy.faults();
    const send = (route: Route, i: number) => {
      if (scenario.oneByOne) scenario.setup();
      return bounded(() => route.send(users[i]!, keys[i]!));
    };
    let answers: Answer<any>[] = [];
    if (scenario.oneByOne) for (const [i, route] of routes.entries()) answers.push(await send(route, i));
    else {
      scenario.setup();
      answers = await Promise.all(routes.map(send));
    }
    expect(proxy.faults()).toBeGreaterThan(faultsBefore);

    for (const [i, route] of routes.entries()) {
      const answer = answers[i]!;
      const allowed = [scenario.expect[route.name]!].flat();
      const got: Expectation = answer.status === 200 ? 200 : answer.body?.code;
      expect(allowed, `${route.name}: ${answer.status} ${answer.text}`).toContain(got);
      if (got !== 200) expectUnavailable(answer, got);
      if (route.name === 'spend' && got === 200) expect(answer.body).toEqual([{ payer: 'A', points: -10 }, { payer: 'B', points: -5 }]);
      if (route.name === 'reverse' && got === 200) expect(answer.body).toMatchObject({ type: 'reversal', points: 12, breakdown: [{ payer: 'B', points: 2 }, { payer: 'A', points: 10 }] });
      if (route.name === 'balance' && got === 200) expect(answer.body).toEqual({ A: 10, B: 20 });
      if (route.name === 'hold' && got === 200) expect(answer.body).toMatchObject({ type: 'hold', points: -15, breakdown: [{ payer: 'A', points: -10 }, { payer: 'B', points: -5 }], status: 'held' });
      if (route.name === 'capture' && got === 200) expect(answer.body).toMatchObject({ type: 'spend', points: -12, hold: holdIds.get(users[i]!) });
      if (route.name === 'release' && got === 200) expect(answer.body).toMatchObject({ type: 'release', points: 12, breakdown: [{ payer: 'B', points: 2 }, { payer: 'A', points: 10 }] });

      // Faults off: the ledger tells what was applied.
      const after = await expectConsistent(users[i]!);
      if (!route.write) {
        expect(after).toEqual(before[i]);
        continue;
      }
      if (got === 'SERVICE_UNAVAILABLE') expect(after, 'SERVICE_UNAVAILABLE means nothing was applied').toEqual(before[i]);
      if (got === 200) expect(after).toHaveLength(before[i]!.length + 1);
      // Whatever the answer, a retry with the same key now gives the real outcome, applied once.
      const retry = await route.send(users[i]!, keys[i]!);
      expect(retry.status, retry.text).toBe(200);
      if (got === 200) expect(retry.text).toBe(answer.text);
      expect(await expectConsistent(users[i]!)).toHaveLength(before[i]!.length + 1);
    }
  }, 60_000);
});

/** Sends a keyed request until it gets an answer other than 503, as a client following SPEC would. */
async function untilAnswered(send: () => Promise<Answer<any>>): Promise<{ answer: Answer<any>; unavailable: number }> {
  for (let unavailable = 0; unavailable < 40; unavailable++) {
    const answer = await bounded(send);
    if (answer.status !== 503) return { answer, unavailable };
    expectUnavailable(answer, answer.body.code);
    // Retry-After says 1 s; the test waits less to stay quick.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('still 503 after 40 tries');
}

describe('random faults under a workload', () => {
  it('keyed, retried adds and spends match the FIFO model exactly', async () => {
    proxy.hangMs = 1000;
    proxy.slowMs = 300;
    proxy.randomly(0.4);
    const faultsBefore = proxy.faults();
    let unavailable = 0;
    await Promise.all(
      [0, 1, 2].map(async (u) => {
        const random = seeded(SEED + u);
        const pick = (n: number) => Math.floor(random() * n);
        const user = newUser(`work${u}`);
        const model = new FifoModel();
        for (let op = 0; op < 20; op++) {
          const key = `work-${user}-${op}`;
          if (random() < 0.6) {
            const payer = ['A', 'B', 'C'][pick(3)]!;
            const points = random() < 0.25 ? -(1 + pick(30)) : 1 + pick(80);
            const timestamp = isoAfter(BASE, pick(100) * 60);
            const sent = await untilAnswered(() => http.add(user, payer, points, timestamp, { 'Idempotency-Key': key }));
            unavailable += sent.unavailable;
            const expected = model.add(payer, points, timestamp);
            if ('refused' in expected) expectProblem(sent.answer, 400, expected.refused);
            else expect({ status: sent.answer.status, body: { ...sent.answer.body, id: undefined } }, sent.answer.text).toEqual({ status: 200, body: { id: undefined, type: 'add', payer, points, timestamp, ...(points > 0 ? { remaining: points } : {}) } });
          } else {
            const points = 1 + pick(120);
            const sent = await untilAnswered(() => http.spend(user, points, { 'Idempotency-Key': key }));
            unavailable += sent.unavailable;
            const expected = model.spend(points);
            if ('refused' in expected) expectProblem(sent.answer, 400, expected.refused);
            else expect({ status: sent.answer.status, body: sent.answer.body }, sent.answer.text).toEqual({ status: 200, body: expected });
          }
        }
        const items = await expectConsistent(user);
        expect(comparable(items)).toEqual(model.ledger());
        expect((await http.balance(user)).body).toEqual(model.balanceObject());
      }),
    );
    // The run did meet faults, and some of them reached the client as 503s.
    expect(proxy.faults() - faultsBefore).toBeGreaterThan(20);
    expect(unavailable).toBeGreaterThan(0);
  }, 240_000);

  it('unkeyed adds are applied at most once, and exactly once when the answer was 200', async () => {
    proxy.hangMs = 1000;
    proxy.slowMs = 300;
    proxy.randomly(0.5);
    const user = newUser('unkeyed');
    const answers: Answer<any>[] = [];
    // Batches of 30 until some answer was a 503 (the service rides out most faults by itself,
    // and how many reach a client depends on timing), so both halves of the claim are tested.
    for (let batch = 0; batch < 5 && !answers.some((a) => a.status === 503); batch++) {
      await inPool(30, 4, async (k) => {
        const i = batch * 30 + k;
        answers[i] = await bounded(() => http.add(user, `P${i}`, i + 1, isoAfter(BASE, i)));
      });
    }
    const items = await expectConsistent(user);
    const times = (i: number) => items.filter((item) => item.payer === `P${i}`).length;
    answers.forEach((answer, i) => {
      if (answer.status === 200) expect(times(i), answer.text).toBe(1);
      else {
        expectUnavailable(answer, answer.body.code);
        expect(times(i), answer.text).toBeLessThanOrEqual(answer.body.code === 'SERVICE_UNAVAILABLE' ? 0 : 1);
      }
    });
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
  }, 240_000);

  it('a 250-lot spend under random faults is applied once, in FIFO order, and its roll-forward completes', async () => {
    const user = newUser('spend250');
    const model = new FifoModel();
    // Arrival order is not timestamp order.
    for (let i = 0; i < 260; i++) await addDirectly(user, ['X', 'Y', 'Z'][i % 3]!, 2, isoAfter(BASE, ((i * 7919) % 260) * 60), model);
    proxy.hangMs = 1000;
    proxy.slowMs = 300;
    proxy.randomly(0.2);
    const key = `spend250-${user}`;
    const { answer } = await untilAnswered(() => http.spend(user, 500, { 'Idempotency-Key': key }));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual(model.spend(500));
    const replay = await untilAnswered(() => http.spend(user, 500, { 'Idempotency-Key': key }));
    expect(replay.answer.text).toBe(answer.text);
    const items = await expectConsistent(user);
    expect(comparable(items)).toEqual(model.ledger());
  }, 240_000);
});
