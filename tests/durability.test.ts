// SPEC "Guarantees" / Durable: what a 200 acknowledged survives a restart of the service and of
// the local database. This file runs its own DynamoDB Local on disk (a fresh temp dir) and its
// own API, stops both, starts them again on the same files and reads everything back. Its SQLite
// file is in write-ahead-log mode, as under `npm start` (scripts/sqlite-wal.ts).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DB_FILE } from '../scripts/sqlite-wal.js';
import { freePort, prepareTable, startApi, startDynamo, type Running } from '../scripts/stack.js';
import { client, newUser, type Answer } from './support/http.js';

const TABLE = 'points-durability';
const STACK_TIMEOUT = 240_000;

let dbPath = '';
let dynamo: Running | undefined;
let api: Running | undefined;
/** The service comes back at the same address, as a restarted service does (problem `type`s name it). */
let apiPort: number | undefined;

async function up(): Promise<void> {
  dynamo = await startDynamo({ dbPath, quiet: true });
  await prepareTable(dynamo.url, TABLE);
  apiPort ??= await freePort();
  api = await startApi({ port: apiPort, dynamoEndpoint: dynamo.url, table: TABLE, quiet: true });
}

/** Stops the API, then the database; `hard` kills both without warning (SIGKILL). */
async function down(hard = false): Promise<void> {
  await api?.stop(hard);
  await dynamo?.stop(hard);
  api = undefined;
  dynamo = undefined;
}

const { call, add, spend } = client(() => {
  if (!api) throw new Error('the API is not running');
  return api.url;
});
type Reply = Answer<any>;

const ok = async (answer: Promise<Reply>): Promise<Reply> => {
  const reply = await answer;
  expect(reply.status, reply.text).toBe(200);
  return reply;
};

/** The whole ledger, page by page, and the first page's cursor (to check it still works later). */
async function ledger(user: string): Promise<{ items: any[]; firstCursor: string | null }> {
  const items: any[] = [];
  let cursor: string | null = null;
  let firstCursor: string | null = null;
  do {
    const page: Reply = await ok(call('GET', `/users/${user}/transactions?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
    firstCursor ??= cursor;
  } while (cursor);
  return { items, firstCursor };
}

interface Snapshot {
  balances: Record<string, string>;
  ledgers: Record<string, string>;
}

async function snapshot(users: string[]): Promise<Snapshot> {
  const balances: Record<string, string> = {};
  const ledgers: Record<string, string> = {};
  for (const user of users) {
    balances[user] = (await ok(call('GET', `/users/${user}/balance`))).text;
    ledgers[user] = JSON.stringify((await ledger(user)).items);
  }
  return { balances, ledgers };
}

const alice = newUser('durable');
const bob = newUser('durable');
const SPEND_KEY = `durable-spend-${alice}`;
const REFUSED_KEY = `durable-refused-${alice}`;

describe('durability across restarts', () => {
  let before: Snapshot;
  let spendReply: Reply;
  let refusedReply: Reply;
  let cursor: string | null;

  beforeAll(async () => {
    dbPath = mkdtempSync(join(tmpdir(), 'points-durability-'));
    await up();
  }, STACK_TIMEOUT);

  afterAll(async () => {
    await down();
    if (dbPath) rmSync(dbPath, { recursive: true, force: true });
  }, STACK_TIMEOUT);

  it('records adds and spends on disk', async () => {
    // The canonical example of SPEC, so the expected numbers come from the contract.
    await ok(add(alice, 'DANNON', 300, '2022-10-31T10:00:00Z'));
    await ok(add(alice, 'UNILEVER', 200, '2022-10-31T11:00:00Z'));
    await ok(add(alice, 'DANNON', -200, '2022-10-31T15:00:00Z'));
    await ok(add(alice, 'MILLER COORS', 10000, '2022-11-01T14:00:00Z'));
    await ok(add(alice, 'DANNON', 1000, '2022-11-02T14:00:00Z'));
    spendReply = await ok(spend(alice, 5000, { 'Idempotency-Key': SPEND_KEY }));
    expect(spendReply.body).toEqual([
      { payer: 'DANNON', points: -100 },
      { payer: 'UNILEVER', points: -200 },
      { payer: 'MILLER COORS', points: -4700 },
    ]);
    refusedReply = await spend(alice, 1_000_000, { 'Idempotency-Key': REFUSED_KEY });
    expect(refusedReply.status).toBe(400);
    expect(refusedReply.body.code).toBe('INSUFFICIENT_POINTS');

    await ok(add(bob, 'P', 50, '2023-01-01T00:00:00Z'));
    await ok(add(bob, 'Q', 70, '2022-01-01T00:00:00+05:30'));
    await ok(spend(bob, 80));

    expect((await ok(call('GET', `/users/${alice}/balance`))).text).toBe('{"DANNON":1000,"UNILEVER":0,"MILLER COORS":5300}');
    expect((await ok(call('GET', `/users/${bob}/balance`))).body).toEqual({ P: 40, Q: 0 });
    before = await snapshot([alice, bob]);
    cursor = (await ledger(alice)).firstCursor;
    expect(cursor).not.toBeNull();

    // DynamoDB Local wrote all this through a write-ahead log.
    const file = join(dbPath, SHARED_DB_FILE);
    expect([...readFileSync(file).subarray(18, 20)]).toEqual([2, 2]);
    expect(existsSync(`${file}-wal`)).toBe(true);
  });

  it(
    'keeps balances, ledger and idempotency records over a stop and start of the API and the database',
    async () => {
      await down();
      await up();
      expect(await snapshot([alice, bob])).toEqual(before);

      // Idempotency records survived: a retry replays the first answer and changes nothing.
      const replay = await ok(spend(alice, 5000, { 'Idempotency-Key': SPEND_KEY }));
      expect(replay.text).toBe(spendReply.text);
      const refusedAgain = await spend(alice, 1_000_000, { 'Idempotency-Key': REFUSED_KEY });
      expect(refusedAgain.status).toBe(400);
      expect(refusedAgain.text).toBe(refusedReply.text);
      expect(await snapshot([alice, bob])).toEqual(before);

      // A cursor handed out before the restart still pages on.
      const page = await ok(call('GET', `/users/${alice}/transactions?limit=2&cursor=${encodeURIComponent(cursor!)}`));
      expect(page.body.items).toEqual(JSON.parse(before.ledgers[alice]!).slice(2, 4));

      // And the service goes on: a further spend takes the oldest points left.
      const further = await ok(spend(alice, 5400));
      expect(further.body).toEqual([
        { payer: 'MILLER COORS', points: -5300 },
        { payer: 'DANNON', points: -100 },
      ]);
      expect((await ok(call('GET', `/users/${alice}/balance`))).text).toBe('{"DANNON":900,"UNILEVER":0,"MILLER COORS":0}');
      const items = (await ledger(alice)).items;
      expect(items).toHaveLength(JSON.parse(before.ledgers[alice]!).length + 1);
      expect(items.at(-1)).toMatchObject({ type: 'spend', points: -5400, breakdown: further.body });
      before = await snapshot([alice, bob]);
    },
    STACK_TIMEOUT,
  );

  it(
    'keeps everything acknowledged when both processes are killed without warning',
    async () => {
      const acknowledged = await ok(add(bob, 'R', 5, '2021-06-01T00:00:00Z'));
      before = await snapshot([alice, bob]);
      await down(true);
      await up();
      expect(await snapshot([alice, bob])).toEqual(before);
      expect(JSON.parse(before.ledgers[bob]!).map((item: { id: string }) => item.id)).toContain(acknowledged.body.id);
      // R's lot is the oldest now, so it is spent first.
      expect((await ok(spend(bob, 10))).body).toEqual([
        { payer: 'R', points: -5 },
        { payer: 'P', points: -5 },
      ]);
      expect((await ok(call('GET', `/users/${bob}/balance`))).body).toEqual({ Q: 0, P: 35, R: 0 });
    },
    STACK_TIMEOUT,
  );
});
