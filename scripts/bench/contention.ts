// Section 5: one busy user. Every request goes to the bare routes (the user "default") on a
// DynamoDB Local of this section's own, on disk like `npm start`'s: adds alone, then mixed adds
// and spends from many clients on one and on four API instances, each run on a freshly created
// table and its ledger checked afterwards; and the DynamoDB Local floor, timed with the SDK in the
// same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createClient } from '../../lib/dynamo/client.js';
import { ensureTable } from '../../lib/dynamo/table.js';
import { freePort, startApi, startDynamo, type Running } from '../stack.js';
import { Client, load, percentile, round, type LoadRun, type Sample } from './http.js';

/** A request unanswered after this long counts as a timeout (SPEC bounds every request at 10 s). */
const CLIENT_TIMEOUT_MS = 15_000;
const TABLE = 'points-contention';
/** One old lot large enough that every 3-point spend succeeds; spends take from it first. */
const SEED = { payer: 'SEED', points: 1_000_000_000, timestamp: '2020-01-01T00:00:00Z' };
const PAYERS = ['DANNON', 'UNILEVER', 'MILLER COORS'];
/** A fresh JVM compiles its hot paths over the first tens of thousands of requests (the floor doubles over the first 30 s here): this long is not timed. */
const JVM_WARMUP_SECONDS = 30;

/** The issue's targets (issue 12, "Benchmark"). */
const ADD_TARGET = 442;
const MIXED_TARGET = { perSecond: 100, p99: 1000 };
const INSTANCES_P99 = 1500;

export interface Goal {
  goal: string;
  met: boolean;
}

export interface LedgerCheck {
  ok: boolean;
  detail: string;
  records: number;
  /** 200 answers of the whole run plus the seed: each must be exactly one ledger record. */
  acknowledged: number;
}

export interface Rate {
  /** Answers counted in the measured window. */
  answered: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export interface ContentionRun extends Rate {
  name: string;
  workload: 'add' | 'mixed';
  clients: number;
  instances: number;
  warmupSeconds: number;
  seconds: number;
  /** In the window: 200s and 400 INSUFFICIENT_POINTS (legal refusals, counted in `answered`). */
  ok: number;
  insufficientPoints: number;
  /** Over the whole run (warm-up and drain included): answers other than 2xx by status, "0" = none. */
  non2xx: Record<string, number>;
  /** 5xx, and 200s carrying a Lambda error (serverless-offline's way of reporting a Lambda timeout). */
  serverErrors: number;
  timeouts: number;
  /** Anything but a legal answer, over the whole run. */
  errors: number;
  firstError?: string;
  check: LedgerCheck;
  goals: Goal[];
}

export interface FloorRow extends Rate {
  operation: string;
  concurrency: number;
  errors: number;
}

export interface ContentionSection {
  measuredAt: string;
  loadAverage: { start: number; end: number };
  seconds: number;
  floor: FloorRow[];
  runs: ContentionRun[];
}

interface Options {
  seconds: number;
  warmupSeconds: number;
  /** Starts a service so that the bench stops it whatever happens (bench.ts's `track`). */
  launch: (running: Promise<Running>) => Promise<Running>;
  stop: (running: Running) => Promise<void>;
  log: (line: string) => void;
}

interface RunSpec {
  name: string;
  workload: 'add' | 'mixed';
  clients: number;
  instances: number;
  goals?: (run: Omit<ContentionRun, 'goals'>) => Goal[];
}

const RUNS: RunSpec[] = [
  { name: 'add@1', workload: 'add', clients: 1, instances: 1 },
  { name: 'add@8', workload: 'add', clients: 8, instances: 1, goals: (r) => [{ goal: `add@8 at least ${ADD_TARGET}/s (${r.perSecond}/s)`, met: r.perSecond >= ADD_TARGET }] },
  { name: 'mixed@8', workload: 'mixed', clients: 8, instances: 1 },
  {
    name: 'mixed@32',
    workload: 'mixed',
    clients: 32,
    instances: 1,
    goals: (r) => [
      {
        goal: `32 mixed clients on one instance: at least ${MIXED_TARGET.perSecond} req/s with p99 at most ${MIXED_TARGET.p99} ms (${r.perSecond} req/s, p99 ${r.p99} ms)`,
        met: r.perSecond >= MIXED_TARGET.perSecond && r.p99 <= MIXED_TARGET.p99,
      },
    ],
  },
  {
    name: 'mixed@32 on 4 instances',
    workload: 'mixed',
    clients: 32,
    instances: 4,
    goals: (r) => [{ goal: `4 instances: no errors and p99 at most ${INSTANCES_P99} ms (${r.errors} errors, p99 ${r.p99} ms)`, met: r.errors === 0 && r.p99 <= INSTANCES_P99 }],
  },
];

const loadNow = () => round(loadavg()[0] ?? 0);

export async function contentionSection(options: Options): Promise<ContentionSection> {
  const start = { at: new Date().toISOString(), load: loadNow() };
  // The storage `npm start` gives: a SQLite file in write-ahead-log mode (scripts/sqlite-wal.ts).
  const dbPath = mkdtempSync(join(tmpdir(), 'points-bench-contention-'));
  const dynamo = await options.launch(startDynamo({ quiet: true, dbPath }));
  const db = createClient(dynamo.url);
  const apis: Running[] = [];
  try {
    options.log(`  DynamoDB Local (on disk, write-ahead log) on ${dynamo.url}`);
    await ensureTable(db, TABLE);
    const floor = await floorRows(db, options);
    const startInstance = async () => options.launch(startApi({ port: await freePort(), dynamoEndpoint: dynamo.url, table: TABLE, inProcess: true, quiet: true }));
    const runs: ContentionRun[] = [];
    for (const spec of RUNS) {
      // One at a time: started together on 2 busy cores, they can miss their 120 s to be ready.
      while (apis.length < spec.instances) {
        options.log(`  starting serverless-offline (in-process mode) #${apis.length + 1}`);
        apis.push(await startInstance());
      }
      const run = await contentionRun(db, apis.slice(0, spec.instances), spec, options);
      runs.push(run);
      const refused = run.insufficientPoints ? `, ${run.insufficientPoints} INSUFFICIENT_POINTS` : '';
      const failures = run.errors ? `, ${run.errors} errors (${run.serverErrors} 5xx, ${run.timeouts} timeouts), first: ${run.firstError}` : '';
      options.log(`  ${run.name}: ${run.perSecond} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms${refused}${failures}; ledger ${run.check.ok ? 'consistent' : 'BROKEN'}: ${run.check.detail}`);
    }
    return { measuredAt: start.at, loadAverage: { start: start.load, end: loadNow() }, seconds: options.seconds, floor, runs };
  } finally {
    db.destroy();
    for (const api of apis.reverse()) await options.stop(api);
    await options.stop(dynamo);
    rmSync(dbPath, { recursive: true, force: true });
  }
}

/** Throughput and latency of the answers in the window that `counts`. */
function rate(run: LoadRun, counts: (sample: Sample) => boolean): Rate {
  const sorted = run.samples
    .filter((s) => s.measured && counts(s))
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  return { answered: sorted.length, perSecond: round(sorted.length / run.seconds, 1), p50: round(percentile(sorted, 50), 1), p99: round(percentile(sorted, 99), 1) };
}

/** The store's commit in miniature: the account moves to version `seq`, and `records` items are put. */
function commit(db: DynamoDBDocumentClient, pk: string, seq: number, records: number) {
  const account = {
    Update: {
      TableName: TABLE,
      Key: { pk, sk: 'A' },
      UpdateExpression: 'SET ver = :next',
      ConditionExpression: 'attribute_not_exists(pk) OR ver = :ver',
      ExpressionAttributeValues: { ':next': seq, ':ver': seq - 1 },
    },
  };
  const puts = Array.from({ length: records }, (_, k) => ({
    Put: { TableName: TABLE, Item: { pk, sk: `T#${seq}#${k}`, points: 5 }, ConditionExpression: 'attribute_not_exists(sk)' },
  }));
  return db.send(new TransactWriteCommand({ TransactItems: [account, ...puts] }));
}

/** What DynamoDB Local itself allows on this machine, with the SDK and no service in between. */
async function floorRows(db: DynamoDBDocumentClient, options: Options): Promise<FloorRow[]> {
  const pair = async () => {
    const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: { pk: 'floor-pair', sk: 'A' }, ConsistentRead: true }));
    await commit(db, 'floor-pair', ((Item?.ver as number | undefined) ?? 0) + 1, 1);
  };
  const cases: [string, number, (worker: number, i: number) => Promise<unknown>][] = [
    ['GetItem then 2-item TransactWriteItems, one user, serial', 1, pair],
    ['2-item TransactWriteItems, one user per client', 8, (w, i) => commit(db, `floor-tx2-${w}`, i + 1, 1)],
    ['100-item TransactWriteItems, serial', 1, (_, i) => commit(db, 'floor-tx100', i + 1, 99)],
  ];
  await load(8, JVM_WARMUP_SECONDS, (w, i) => (w === 0 ? pair() : commit(db, `floor-warm-${w}`, i + 1, 1 + (i % 10))).then(() => ({ status: 200, body: '' })));
  const rows: FloorRow[] = [];
  for (const [operation, concurrency, operate] of cases) {
    const run = await load(concurrency, options.seconds, async (w, i) => (await operate(w, i), { status: 200, body: '' }), options.warmupSeconds);
    const errors = run.samples.filter((s) => s.status !== 200);
    const row = { operation, concurrency, ...rate(run, (s) => s.status === 200), errors: errors.length };
    rows.push(row);
    options.log(`  floor: ${operation} ×${concurrency}: ${row.perSecond}/s (p50 ${row.p50} ms, p99 ${row.p99} ms)${errors.length ? `, ${errors.length} errors, first: ${errors[0]!.body}` : ''}`);
  }
  return rows;
}

async function freshTable(db: DynamoDBDocumentClient): Promise<void> {
  await db.send(new DeleteTableCommand({ TableName: TABLE })).catch((error: Error) => {
    if (error.name !== 'ResourceNotFoundException') throw error;
  });
  await ensureTable(db, TABLE);
}

function parsed(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type Kind = 'ok' | 'insufficient' | 'server' | 'timeout' | 'other';

function kindOf(sample: Sample): Kind {
  if (sample.timedOut) return 'timeout';
  if (sample.status === 200) return parsed(sample.body)?.errorMessage === undefined ? 'ok' : 'server';
  if (sample.status === 400 && parsed(sample.body)?.code === 'INSUFFICIENT_POINTS') return 'insufficient';
  return sample.status >= 500 ? 'server' : 'other';
}

async function contentionRun(db: DynamoDBDocumentClient, apis: Running[], spec: RunSpec, options: Options): Promise<ContentionRun> {
  await freshTable(db);
  // Keep-alive clients, one per instance; client w talks to instance w mod n.
  const clients = apis.map((api) => new Client(api.url, CLIENT_TIMEOUT_MS));
  try {
    const seeded = spec.workload === 'mixed' ? 1 : 0;
    if (seeded) await clients[0]!.ok('POST', '/add', SEED);
    const make = (w: number, i: number) => {
      const client = clients[w % clients.length]!;
      if (spec.workload === 'mixed' && (w + i) % 2 === 1) return client.call('POST', '/spend', { points: 3 });
      return client.call('POST', '/add', { payer: PAYERS[(w + i) % PAYERS.length], points: 5, timestamp: new Date().toISOString() });
    };
    const run = await load(spec.clients, options.seconds, make, options.warmupSeconds);
    const kinds = run.samples.map(kindOf);
    const inWindow = (kind: Kind) => run.samples.filter((s, k) => s.measured && kinds[k] === kind).length;
    const non2xx: Record<string, number> = {};
    for (const s of run.samples) if (s.status < 200 || s.status > 299) non2xx[s.status] = (non2xx[s.status] ?? 0) + 1;
    const failed = run.samples.filter((_, k) => kinds[k] !== 'ok' && kinds[k] !== 'insufficient');
    const acknowledged = kinds.filter((k) => k === 'ok').length + seeded;
    const measured = {
      name: spec.name,
      workload: spec.workload,
      clients: spec.clients,
      instances: spec.instances,
      warmupSeconds: run.warmupSeconds,
      seconds: run.seconds,
      ...rate(run, (s) => ['ok', 'insufficient'].includes(kindOf(s))),
      ok: inWindow('ok'),
      insufficientPoints: inWindow('insufficient'),
      non2xx,
      serverErrors: kinds.filter((k) => k === 'server').length,
      timeouts: kinds.filter((k) => k === 'timeout').length,
      errors: failed.length,
      ...(failed.length > 0 ? { firstError: `${failed[0]!.status} ${failed[0]!.body.slice(0, 200)}` } : {}),
      // A request without a legal answer may or may not have landed: then only "at least".
      check: await checkLedger(clients[0]!, acknowledged, failed.length === 0),
    };
    const goals = [
      { goal: `${spec.name}: no 5xx and no timeouts`, met: measured.serverErrors === 0 && measured.timeouts === 0 },
      ...(spec.goals?.(measured) ?? []),
      { goal: `${spec.name}: ledger consistent (${measured.check.detail})`, met: measured.check.ok },
    ];
    return { ...measured, goals };
  } finally {
    for (const client of clients) client.close();
  }
}

/**
 * The user's balance against its whole ledger: each payer's balance equals the sum of its
 * ledger entries and of its lots' `remaining`, and none is negative; the ledger holds one record
 * per acknowledged write (`exact`), or at least that many when some requests had no answer.
 */
async function checkLedger(client: Client, acknowledged: number, exact: boolean): Promise<LedgerCheck> {
  const balance = JSON.parse((await client.ok('GET', '/balance')).body) as Record<string, number>;
  const items: { payer?: string; points: number; remaining?: number; breakdown?: { payer: string; points: number }[] }[] = [];
  let cursor: string | null = null;
  do {
    const page = JSON.parse((await client.ok('GET', `/transactions?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body) as { items: typeof items; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  const sums = new Map<string, number>();
  const held = new Map<string, number>();
  const credit = (map: Map<string, number>, payer: string, points: number) => map.set(payer, (map.get(payer) ?? 0) + points);
  for (const item of items) {
    if (item.breakdown) for (const entry of item.breakdown) credit(sums, entry.payer, entry.points);
    else credit(sums, item.payer!, item.points);
    if (item.remaining !== undefined) credit(held, item.payer!, item.remaining);
  }
  const problems: string[] = [];
  for (const payer of new Set([...Object.keys(balance), ...sums.keys()])) {
    const shown = balance[payer] ?? 0;
    if (shown !== (sums.get(payer) ?? 0)) problems.push(`${payer}: balance ${shown}, ledger sum ${sums.get(payer) ?? 0}`);
    if (shown !== (held.get(payer) ?? 0)) problems.push(`${payer}: balance ${shown}, lots hold ${held.get(payer) ?? 0}`);
    if (shown < 0) problems.push(`${payer} below zero: ${shown}`);
  }
  if (exact ? items.length !== acknowledged : items.length < acknowledged) problems.push(`${items.length} records for ${acknowledged} acknowledged writes`);
  const total = Object.values(balance).reduce((a, b) => a + b, 0);
  const detail =
    problems.length > 0
      ? problems.slice(0, 5).join('; ')
      : `${items.length} records, ${exact ? 'one per acknowledged write' : `at least the ${acknowledged} acknowledged`}; balances equal ledger sums and lots, total ${total}, no payer below zero`;
  return { ok: problems.length === 0, detail, records: items.length, acknowledged };
}
