// `npm run bench`: DynamoDB cost per operation, latency against history size, throughput in
// both serverless-offline modes, and cold start; writes bench/results.json and bench/results.md.
//
//   npm run bench                      starts in-memory DynamoDB Local and the API itself (on
//                                      free ports) and stops them when done, on error or Ctrl-C
//   npm run bench -- --url http://localhost:8000
//                                      uses a running API (or BENCH_URL=…); DYNAMODB_ENDPOINT
//                                      (and TABLE_NAME, default "points") must name its database,
//                                      which the bench writes history users into
//   npm run bench -- --quick           smaller histories and shorter runs, for a smoke test
//   npm run bench -- --only contention only section 5 (one busy user, on a stack of its own);
//   npm run bench -- --only coldstart  or only section 4 (cold start, with DynamoDB Local alone);
//   npm run bench -- --only events     or only section 7 (the events pipeline, with DynamoDB Local alone);
//   npm run bench -- --only webhooks   or only section 8 (webhook deliveries, on a stack of its own);
//                                      the other sections keep their figures in bench/results.*
//
// The figures are reports: the exit code is 0 whatever the timings and targets (non-zero only
// when a section could not run at all).
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from '../lib/dynamo/client.js';
import { historyLatencySection, throughputSection } from './bench/api.js';
import { authSection } from './bench/auth.js';
import { coldStartSection } from './bench/coldstart.js';
import { contentionSection } from './bench/contention.js';
import { eventsSection } from './bench/events.js';
import { costSection, type HistoryUser } from './bench/cost.js';
import { realisticHistory } from './bench/history.js';
import { webhooksSection } from './bench/webhooks.js';
import { machine, markdown, type Results } from './bench/report.js';
import { ROOT, freePort, prepareTable, startApi, startDynamo, type Running } from './stack.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { values: args } = parseArgs({
  options: { url: { type: 'string' }, quick: { type: 'boolean', default: false }, out: { type: 'string' }, only: { type: 'string' } },
});
/** The sections that can run alone, and the prefix of their errors in results.json. */
const ALONE = { contention: '5.', coldstart: '4.', events: '7.', webhooks: '8.' } as const;
type Alone = keyof typeof ALONE;
const only = args.only as Alone | undefined;
if (only !== undefined && !(only in ALONE)) throw new Error(`--only ${only}: only ${Object.keys(ALONE).join(' or ')} can run alone`);
const externalUrl = args.url ?? process.env.BENCH_URL;
const quick = args.quick ?? false;
const outDir = args.out ?? join(ROOT, 'bench');

const settings = quick
  ? { sizes: [200, 1_000, 5_000], latencyRequests: 30, warmup: 5, throughputSeconds: 1, coldRuns: 2, invocations: 5, contentionWarmupSeconds: 1, eventRecords: 300, lagSamples: 30 }
  : { sizes: [1_000, 10_000, 50_000], latencyRequests: 200, warmup: 20, throughputSeconds: 5, coldRuns: 15, invocations: 20, contentionWarmupSeconds: 30, eventRecords: 3_000, lagSamples: 200 };

const startedAt = performance.now();
const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)} s`;
const log = (line: string) => console.log(`[${elapsed()}] ${line}`);

// Everything started here, stopped in reverse order whatever happens.
const started = new Set<Running>();
const launching = new Set<Promise<Running>>();
let stopping: Promise<void> | undefined;

function track(launch: Promise<Running>): Promise<Running> {
  launching.add(launch);
  return launch.then(
    (running) => {
      launching.delete(launch);
      started.add(running);
      return running;
    },
    (error: unknown) => {
      launching.delete(launch);
      throw error;
    },
  );
}

async function stop(running: Running): Promise<void> {
  started.delete(running);
  await running.stop();
}

function stopAll(): Promise<void> {
  stopping ??= (async () => {
    // A launch still in flight is waited for, then stopped (startApi stops it if it fails).
    await Promise.allSettled([...launching]);
    for (const running of [...started].reverse()) await stop(running).catch(() => undefined);
  })();
  return stopping;
}

/** This process's direct children (Linux /proc): what the bench spawned, even mid-launch. */
function childPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          // "pid (comm) state ppid …": comm may hold spaces, so split after its closing parenthesis.
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
        } catch {
          return false; // exited meanwhile
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping what the bench started…`);
    // A service still starting is only known by its PID: stop it now, so its launch fails fast.
    for (const pid of childPids()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    void stopAll().finally(() => process.exit(130));
  });
}
// Last resort if the process leaves some other way: no Java or serverless is left behind.
process.on('exit', () => {
  for (const running of started) running.process.kill('SIGKILL');
});

const runId = Date.now().toString(36);
const results: Results = {
  machine: machine(),
  setup: {
    api: externalUrl ? `the API at ${externalUrl}` : 'serverless-offline started by the bench',
    dynamodb: externalUrl ? `DynamoDB at ${process.env.DYNAMODB_ENDPOINT}` : 'DynamoDB Local 3.3.0 (in memory; section 5 on disk, as under npm start)',
    historySizes: settings.sizes,
    historyLoad: [],
    latencyRequests: settings.latencyRequests,
    throughputSeconds: settings.throughputSeconds,
  },
  runtimeSeconds: 0,
  errors: [],
};

/** Runs one section; a failure is recorded and the next section still runs. */
async function section<T>(title: string, run: () => Promise<T>): Promise<T | undefined> {
  log(title);
  try {
    return await run();
  } catch (error) {
    const message = `${title}: ${(error as Error).stack ?? error}`;
    console.error(message);
    results.errors.push(`${title}: ${(error as Error).message}`);
    return undefined;
  }
}

const contention = async () => {
  results.contention = await section('5. one busy user: contention on the bare routes (own DynamoDB Local and APIs)', () =>
    // Steady state: DynamoDB Local's JVM and the API's JIT keep getting faster over the first
    // seconds of each workload (section 5's floor warms the JVM alone).
    contentionSection({ seconds: settings.throughputSeconds, warmupSeconds: settings.contentionWarmupSeconds, launch: track, stop, log }),
  );
};

const coldStart = async (database: () => Promise<{ endpoint: string; table: string }>) => {
  results.coldStart = await section('4. cold start: bundling each function and timing its import', () =>
    coldStartSection({ database, runId, runs: settings.coldRuns, invocations: settings.invocations, log }),
  );
};

const eventsPipeline = async (endpoint: string) => {
  results.events = await section('7. events pipeline: consumer throughput, commit-to-feed lag, cost per event', () =>
    eventsSection({ endpoint, runId, records: settings.eventRecords, lagSamples: settings.lagSamples, log, track: (running) => void started.add(running), stop }),
  );
};

const webhooks = async () => {
  results.webhooks = await section('8. webhooks: deliveries per second, commit-to-delivery lag, $ per million (own DynamoDB Local and API)', () =>
    webhooksSection({ quick, launch: track, stop, log }),
  );
};

async function main(): Promise<void> {
  log(`machine: ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.ramGiB} GiB, Node ${results.machine.node}${quick ? ' (quick run)' : ''}`);
  if (only === 'contention') return contention();
  if (only === 'webhooks') return webhooks();
  if (only === 'events') {
    const dynamo = await track(startDynamo({ quiet: true }));
    return eventsPipeline(dynamo.url);
  }
  if (only === 'coldstart') return coldStart(async () => {
    const dynamo = await track(startDynamo({ quiet: true }));
    await prepareTable(dynamo.url, 'points-bench');
    return { endpoint: dynamo.url, table: 'points-bench' };
  });
  let endpoint: string;
  let table: string;
  let dynamo: Running | undefined;
  if (externalUrl) {
    endpoint = process.env.DYNAMODB_ENDPOINT ?? '';
    table = process.env.TABLE_NAME || 'points';
    if (!endpoint) throw new Error('--url needs DYNAMODB_ENDPOINT: the DynamoDB the API uses, to load history users into');
    log(`using the API at ${externalUrl}, DynamoDB at ${endpoint}, table ${table}`);
  } else {
    table = 'points-bench';
    dynamo = await track(startDynamo({ quiet: true }));
    endpoint = dynamo.url;
    log(`DynamoDB Local (in memory) on ${endpoint}`);
  }
  await prepareTable(endpoint, table);

  // The API's latencies are measured without a stream consumer beside them (section 7 runs its own).
  // The in-process API starts while the history loads and the cost is measured (neither is a timing).
  const inProcessApi = externalUrl ? undefined : freePort().then((port) => track(startApi({ port, dynamoEndpoint: endpoint, table, inProcess: true, quiet: true, env: { AUTH_MODE: 'off' }, feeder: false, deliverer: false })));
  inProcessApi?.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile

  const histories: (HistoryUser & { openLots: number })[] = [];
  await section(`history: loading users with ${settings.sizes.join(', ')} past transactions`, async () => {
    const client = createClient(endpoint);
    try {
      for (const size of settings.sizes) {
        const builder = realisticHistory(size);
        const userId = `bench-${runId}-history-${size}`;
        const start = performance.now();
        await builder.load(client, table, userId, 8);
        const seconds = (performance.now() - start) / 1000;
        histories.push({ userId, size, openLots: builder.open.length });
        results.setup.historyLoad.push({ size, seconds: Math.round(seconds * 10) / 10, itemsPerSecond: Math.round(size / seconds), openLots: builder.open.length });
        log(`  ${size} transactions (${builder.open.length} open lots) in ${seconds.toFixed(1)} s`);
      }
    } finally {
      client.destroy();
    }
  });

  results.cost = await section('1. DynamoDB cost per operation (in-process service, metered client)', () => costSection({ endpoint, table, runId, histories, log }));

  const apiUrl = externalUrl ?? (await section('waiting for serverless-offline (in-process mode)', async () => (await inProcessApi!).url));

  // 4 while the API idles and DynamoDB Local is warm: its timings are the most sensitive to load.
  await coldStart(() => Promise.resolve({ endpoint, table }));

  const mode = externalUrl ? 'the given API' : 'in-process (--useInProcess)';
  if (apiUrl) {
    if (histories.length === settings.sizes.length) {
      results.historyLatency = await section(`2. latency against history size (${mode})`, () =>
        historyLatencySection({ url: apiUrl, mode, users: histories, requests: settings.latencyRequests, warmup: settings.warmup, log }),
      );
    }
    results.throughput = (await section(`3. throughput (${mode})`, () => throughputSection({ url: apiUrl, mode, runId, concurrencies: [1, 8], seconds: settings.throughputSeconds, warmupSeconds: 1, log }))) ?? [];
    if (!externalUrl) {
      results.auth = await section('6. balance with AUTH_MODE=jwt next to off', async () =>
        authSection({ runId, requests: settings.latencyRequests, warmup: settings.warmup, log, stop, launch: async (env) => track(startApi({ port: await freePort(), dynamoEndpoint: endpoint, table, inProcess: true, quiet: true, env, feeder: false, deliverer: false })) }),
      );
    }
  }
  if (inProcessApi) {
    const api = await inProcessApi.catch(() => undefined);
    if (api) await stop(api);
  }

  if (!externalUrl) {
    const workers = 'worker threads (default)';
    const rows = await section(`3. throughput (${workers})`, async () => {
      log('  starting serverless-offline (worker-thread mode)');
      const api = await track(startApi({ port: await freePort(), dynamoEndpoint: endpoint, table, inProcess: false, quiet: true, feeder: false, deliverer: false }));
      try {
        return await throughputSection({ url: api.url, mode: workers, runId, concurrencies: [1, 8], seconds: settings.throughputSeconds, warmupSeconds: 2, log });
      } finally {
        await stop(api);
      }
    });
    results.throughput = [...(results.throughput ?? []), ...(rows ?? [])];
  }
  if (!externalUrl) await eventsPipeline(endpoint);
  // Section 5 has a DynamoDB Local of its own: the first one (and its 60,000 records) goes first.
  if (dynamo) await stop(dynamo);
  await contention();
  await webhooks();
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error((error as Error).stack ?? error);
  results.errors.push((error as Error).message);
} finally {
  log('stopping what the bench started');
  await stopAll();
}

results.runtimeSeconds = Math.round((performance.now() - startedAt) / 1000);
results.machine.loadAverage.end = Math.round((loadavg()[0] ?? 0) * 100) / 100;
mkdirSync(outDir, { recursive: true });
const jsonPath = join(outDir, 'results.json');
// --only: the other sections keep the figures of the last full run.
const previous: Results | undefined = only && existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : undefined;
const written: Results = previous
  ? { ...previous, ...({ contention: { contention: results.contention }, coldstart: { coldStart: results.coldStart }, events: { events: results.events }, webhooks: { webhooks: results.webhooks } } as const)[only!], errors: [...previous.errors.filter((e) => !e.startsWith(ALONE[only!])), ...results.errors] }
  : results;
writeFileSync(jsonPath, `${JSON.stringify(written, null, 2)}\n`);
const md = markdown(written);
writeFileSync(join(outDir, 'results.md'), `${md}\n`);

console.log(`\n${md}`);
console.log(`\nWrote ${join(outDir, 'results.json')} and ${join(outDir, 'results.md')} in ${results.runtimeSeconds} s.`);
process.exit(failed || results.errors.length > 0 ? 1 : 0);
