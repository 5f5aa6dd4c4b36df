// Section 4: cold start. Each function is bundled as serverless-esbuild bundles it for a deploy
// (serverless.yml custom.esbuild), then imported in fresh node processes to time its module
// initialisation, and invoked repeatedly in one process to show the SDK client is made once.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { isApiRoute, ROUTES } from '../../lib/http/routes.js';
import { ROOT } from '../stack.js';
import { median, round } from './http.js';
import { lambdaNode } from './lambda-node.js';

export interface ColdStartRow {
  function: string;
  /** Minified bundle, bytes and KiB; gzip is close to what the deployment zip stores. */
  bytes: number;
  kib: number;
  gzipKib: number;
  /** Median time from process start until `import()` of the bundle resolved, minus the same for an empty module. */
  initMs: number;
  /** The same on Lambda's Node.js major (lambdaNode), when it could be had. */
  lambdaInitMs?: number;
  /** Median duration of the `import()` itself. */
  importMs: number;
  /** The same as CPU time (user + system): less swayed by other processes on a busy machine. */
  initCpuMs: number;
  runs: number;
  /** Sequential invocations in one process, and TCP connections they opened (1: one reused client). */
  invocations?: number;
  connections?: number;
  firstInvocationMs?: number;
  warmInvocationMs?: number;
}

const EMPTY = '(empty module)';

const bundleAliases = createRequire(import.meta.url)('../bundle-aliases.cjs') as Record<string, string>;

/** The deployment goals (docs/benchmarks.md "Cold start"): every API function's bundle and its median init. */
export const GOALS = { bundleBytes: 400_000, initMs: 60 };

export interface ColdStartSection {
  baselineMs: number;
  /** This machine's Node.js, and Lambda's (or why it could not be timed). */
  localNode: string;
  lambdaNode: string;
  lambdaBaselineMs?: number;
  /** Every API function's init within the goal on Lambda's Node.js (absent when not timed). */
  lambdaInitWithinGoal?: boolean;
  rows: ColdStartRow[];
  bundlesWithinGoal: boolean;
  initWithinGoal: boolean;
  /** True when no function opened more connections than a single client would. */
  clientsReused: boolean;
}

/**
 * The API functions (one per operation of lib/http/routes.ts, which serverless.yml wires, a test checks)
 * and the catch-all. The pages' functions carry Swagger UI and no SDK; they are not API functions.
 */
export const FUNCTIONS = [...new Set(ROUTES.filter(isApiRoute).map((route) => route.operation)), 'fallback'];

// The probe: times the import, optionally invokes the handler, counting TCP connects. Lambda's
// Node.js runtime has loaded node:http (its Runtime API client) before it imports a handler, so
// the probe loads it first too: init is what the function's own module adds.
const PROBE = `
import net from 'node:net';
import 'node:http';
let connections = 0;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) { connections++; return connect.apply(this, args); };
const [file, plan] = process.argv.slice(2);
const t0 = performance.now();
const mod = await import(file);
const resolvedAt = performance.now();
const cpu = process.cpuUsage();
const out = { resolvedAt, importMs: resolvedAt - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
if (plan) {
  const { events } = JSON.parse(plan);
  const context = { getRemainingTimeInMillis: () => 29000, awsRequestId: 'bench', functionName: 'bench', callbackWaitsForEmptyEventLoop: false };
  const times = [];
  for (const event of events) {
    const start = performance.now();
    const res = await mod.handler(event, context);
    times.push(performance.now() - start);
    if (res.statusCode !== 200) { console.error('status ' + res.statusCode + ': ' + res.body); process.exit(2); }
  }
  Object.assign(out, { times, connections });
}
process.stdout.write('\\n' + JSON.stringify(out));
process.exit(0);
`;

function event(method: 'GET' | 'POST', userId: string, route: string, body?: unknown, query?: Record<string, string>) {
  const path = `/users/${userId}/${route}`;
  return {
    version: '2.0',
    routeKey: `${method} /users/{userId}/${route}`,
    rawPath: path,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    headers: { 'content-type': 'application/json', host: 'localhost' },
    ...(query ? { queryStringParameters: query } : {}),
    pathParameters: { userId },
    requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' }, requestId: 'bench', routeKey: `${method} /users/{userId}/${route}`, stage: '$default' },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

/** The probe's result: its last line, after whatever the handlers logged (lib/telemetry/telemetry.ts). */
const lastJsonLine = (out: string): unknown => JSON.parse(out.trimEnd().split('\n').at(-1)!);

function runNode(args: string[], env: NodeJS.ProcessEnv, node = process.execPath): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`probe exited ${code}: ${err.slice(0, 500)}`))));
  });
}

export async function coldStartSection(options: {
  /** The database for the invocations, asked for once the imports are timed (a JVM starting meanwhile would sway them). */
  database: () => Promise<{ endpoint: string; table: string }>;
  runId: string;
  runs: number;
  invocations: number;
  log: (line: string) => void;
}): Promise<ColdStartSection> {
  const dir = mkdtempSync(join(tmpdir(), 'points-bench-'));
  try {
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const empty = join(dir, 'empty.mjs');
    writeFileSync(empty, 'export const handler = async () => ({ statusCode: 200 });\n');
    // Exactly serverless.yml custom.esbuild (serverless-esbuild adds nothing else that matters here).
    await build({
      entryPoints: FUNCTIONS.map((name) => join(ROOT, 'functions', `${name}.ts`)),
      outdir: dir,
      bundle: true,
      minify: true,
      sourcemap: false,
      target: 'node20',
      mainFields: ['module', 'main'],
      alias: bundleAliases,
      platform: 'node',
      format: 'esm',
      outExtension: { '.js': '.mjs' },
      logLevel: 'error',
    });
    // Imports are timed with what a deployed function's environment holds (no endpoint: AWS's
    // own; no tsx loader in NODE_OPTIONS); the invocations are pointed at the local database.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      TABLE_NAME: 'points',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const bundles = [...FUNCTIONS.map((name) => ({ name, file: join(dir, `${name}.mjs`) })), { name: EMPTY, file: empty }];
    // Timed on this machine's node and on Lambda's Node.js major, which parses and compiles
    // differently; the figures of each are against an empty module on the same node.
    const lambda = lambdaNode();
    if ('unavailable' in lambda) options.log(`  Lambda's Node.js not timed: ${lambda.unavailable}`);
    const nodes = [{ key: 'local', path: process.execPath }, ...('path' in lambda ? [{ key: 'lambda', path: lambda.path }] : [])];
    const samples = new Map<string, { resolvedAt: number[]; importMs: number[]; cpuMs: number[] }>();
    const sampled = (node: string, name: string) => samples.get(`${node} ${name}`) ?? samples.set(`${node} ${name}`, { resolvedAt: [], importMs: [], cpuMs: [] }).get(`${node} ${name}`)!;
    // Runs interleaved across bundles and nodes, so background load spreads over all of them alike.
    for (const node of nodes) await runNode([probe, empty], env, node.path); // warm the file cache
    for (let run = 0; run < options.runs; run++) {
      for (const node of nodes) {
        for (const { name, file } of bundles) {
          const out = lastJsonLine(await runNode([probe, file], env, node.path)) as { resolvedAt: number; importMs: number; cpuMs: number };
          const s = sampled(node.key, name);
          s.resolvedAt.push(out.resolvedAt);
          s.importMs.push(out.importMs);
          s.cpuMs.push(out.cpuMs);
        }
      }
    }
    const baselineMs = median(sampled('local', EMPTY).resolvedAt);
    const baselineCpuMs = median(sampled('local', EMPTY).cpuMs);
    const lambdaBaselineMs = 'path' in lambda ? median(sampled('lambda', EMPTY).resolvedAt) : undefined;

    // Invocations: the data functions, each on its own user, in one process per function.
    const { endpoint, table } = await options.database();
    const invokeEnv: NodeJS.ProcessEnv = { ...env, TABLE_NAME: table, DYNAMODB_ENDPOINT: endpoint };
    const n = options.invocations;
    const plansFor = (user: string): Record<string, unknown[]> => ({
      add: Array.from({ length: n }, (_, i) => event('POST', user, 'add', { payer: 'DANNON', points: 10, timestamp: `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z` })),
      spend: Array.from({ length: n }, () => event('POST', user, 'spend', { points: 1 })),
      balance: Array.from({ length: n }, () => event('GET', user, 'balance')),
      transactions: Array.from({ length: n }, () => event('GET', user, 'transactions', undefined, { limit: '10' })),
    });
    // DynamoDB Local's JVM answers far slower until it has warmed up (it has just started under
    // --only coldstart): untimed passes on users of their own for 10 s first.
    const warmUntil = performance.now() + 10_000;
    for (let pass = 0; pass === 0 || performance.now() < warmUntil; pass++) {
      for (const [name, events] of Object.entries(plansFor(`bench-${options.runId}-warm-${pass}`))) {
        await runNode([probe, join(dir, `${name}.mjs`), JSON.stringify({ events })], invokeEnv);
      }
    }
    const plans = plansFor(`bench-${options.runId}-cold`);
    const rows: ColdStartRow[] = [];
    for (const name of FUNCTIONS) {
      const file = join(dir, `${name}.mjs`);
      const bytes = statSync(file).size;
      const s = sampled('local', name);
      const row: ColdStartRow = {
        function: name,
        bytes,
        kib: round(bytes / 1024, 1),
        gzipKib: round(gzipSync(readFileSync(file)).length / 1024, 1),
        initMs: round(median(s.resolvedAt) - baselineMs, 1),
        ...(lambdaBaselineMs !== undefined ? { lambdaInitMs: round(median(sampled('lambda', name).resolvedAt) - lambdaBaselineMs, 1) } : {}),
        importMs: round(median(s.importMs), 1),
        initCpuMs: round(median(s.cpuMs) - baselineCpuMs, 1),
        runs: options.runs,
      };
      const events = plans[name];
      if (events) {
        const out = lastJsonLine(await runNode([probe, file, JSON.stringify({ events })], invokeEnv)) as { times: number[]; connections: number };
        Object.assign(row, {
          invocations: events.length,
          connections: out.connections,
          firstInvocationMs: round(out.times[0]!, 1),
          warmInvocationMs: round(median(out.times.slice(1)), 1),
        });
      }
      rows.push(row);
      options.log(`  ${name}: ${row.kib} KiB (${row.gzipKib} KiB gzip), init ${row.initMs} ms (CPU ${row.initCpuMs} ms)${row.lambdaInitMs !== undefined ? `, on Lambda's Node ${row.lambdaInitMs} ms` : ''}${row.connections !== undefined ? `, ${row.invocations} invocations opened ${row.connections} connection(s)` : ''}`);
    }
    const clientsReused = rows.every((r) => r.connections === undefined || r.connections <= 1);
    return {
      baselineMs: round(baselineMs, 1),
      localNode: process.version,
      lambdaNode: 'path' in lambda ? lambda.version : `not timed: ${lambda.unavailable}`,
      ...(lambdaBaselineMs !== undefined ? { lambdaBaselineMs: round(lambdaBaselineMs, 1), lambdaInitWithinGoal: rows.every((r) => r.lambdaInitMs! <= GOALS.initMs) } : {}),
      rows,
      clientsReused,
      bundlesWithinGoal: rows.every((r) => r.bytes <= GOALS.bundleBytes),
      initWithinGoal: rows.every((r) => r.initMs <= GOALS.initMs),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
