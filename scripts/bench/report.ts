// The benchmark's results: one JSON document and the Markdown tables of bench/results.md.
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { HistoryLatencySection, ThroughputRow } from './api.js';
import type { AuthSection } from './auth.js';
import { eventsMarkdown, type EventsSection } from './events.js';
import { GOALS, type ColdStartSection } from './coldstart.js';
import type { ContentionSection } from './contention.js';
import { ON_DEMAND, type CostSection } from './cost.js';
import { webhooksMarkdown, type WebhooksSection } from './webhooks.js';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  os: string;
  node: string;
  date: string;
  /** 1-minute load average when the bench started and ended: other work on the machine skews timings. */
  loadAverage: { start: number; end?: number };
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() || 'unknown',
    cores: list.length,
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: { start: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
  };
}

export interface Results {
  machine: Machine;
  setup: {
    api: string;
    dynamodb: string;
    historySizes: number[];
    historyLoad: { size: number; seconds: number; itemsPerSecond: number; openLots: number }[];
    latencyRequests: number;
    throughputSeconds: number;
  };
  cost?: CostSection;
  historyLatency?: HistoryLatencySection;
  throughput?: ThroughputRow[];
  coldStart?: ColdStartSection;
  contention?: ContentionSection;
  auth?: AuthSection;
  events?: EventsSection;
  webhooks?: WebhooksSection;
  runtimeSeconds: number;
  errors: string[];
}

const yes = (met: boolean) => (met ? '✅ met' : '❌ not met');
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

export function markdown(r: Results): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# Benchmark results', '');
  out.push(`Measured ${m.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}, Node ${m.node}, `);
  out.push(`against ${r.setup.dynamodb} and ${r.setup.api}. Run with \`npm run bench\` (${r.runtimeSeconds} s); raw figures in \`bench/results.json\`.`);
  const load = `1-minute load average ${m.loadAverage.start} at the start and ${m.loadAverage.end ?? '?'} at the end`;
  out.push(`Figures are reports, not pass/fail tests: timings on a shared ${m.cores}-core machine are noisy (${load}).`, '');

  if (r.cost) {
    out.push('## 1. DynamoDB cost per operation', '');
    out.push('Counted by a middleware on the store\'s SDK client (lib/telemetry/metrics.ts), not from ConsumedCapacity. A transaction counts as one write request writing one item per action.', '');
    out.push(
      table(
        ['operation', 'past txns', 'lots', 'payers', 'requests', 'read req', 'write req', 'items read', 'items written', 'RCU', 'WCU', 'commands'],
        r.cost.rows.map((row) => [
          row.operation,
          row.history,
          row.lots ?? '',
          row.payers ?? '',
          row.cost.requests,
          row.cost.readRequests,
          row.cost.writeRequests,
          row.cost.itemsRead,
          row.cost.itemsWritten,
          row.cost.readUnits,
          row.cost.writeUnits,
          Object.entries(row.cost.commands).map(([c, n]) => `${c.replace(/Command$/, '')}×${n}`).join(', '),
        ]),
      ),
      '',
    );
    out.push(
      'RCU/WCU: capacity units by DynamoDB\'s published rules, from the sizes of the items read and written (scripts/bench/capacity.ts): strongly consistent reads 1 unit per 4 KB (GetItem and each BatchGetItem item rounded up alone, a Query\'s summed size rounded up once), writes 1 unit per KB of each item, transactions twice that, plus one unit per local-index entry written.',
      '',
    );
    const p = ON_DEMAND;
    out.push(`A million operations at on-demand prices (${p.region}, $${p.usdPerMillionReadUnits} per million read units, $${p.usdPerMillionWriteUnits} per million write units, price list of ${p.priceDate}; requests only, storage and backups aside):`, '');
    out.push(table(['operation', 'RCU each', 'WCU each', 'USD per million'], r.cost.perMillion.map((m) => [m.operation, m.readUnits, m.writeUnits, `$${m.usd.toFixed(3)}`])), '');
    out.push('Targets (SPEC "Cost"):', '');
    for (const c of r.cost.checks) out.push(`- ${yes(c.met)} — ${c.target}. ${c.detail}.`);
    out.push('');
  }

  if (r.historyLatency) {
    const h = r.historyLatency;
    out.push('## 2. Latency against history size', '');
    out.push(`${h.requests} sequential requests per operation and size over HTTP (${h.mode}), interleaved across sizes; milliseconds.`, '');
    out.push(
      table(
        ['past transactions', 'open lots', 'balance p50', 'balance p95', '1-point spend p50', '1-point spend p95'],
        h.rows.map((row) => [row.history.toLocaleString('en-US'), row.openLots, row.balance.p50, row.balance.p95, row.spend.p50, row.spend.p95]),
      ),
      '',
    );
    const first = h.rows[0]!.history.toLocaleString('en-US');
    const last = h.rows.at(-1)!.history.toLocaleString('en-US');
    out.push(`Target: the ${last} figure within 1.2 × the ${first} figure.`, '');
    out.push(`- ${yes(h.met.balance)} — balance: p50 ×${h.ratios.balanceP50}, p95 ×${h.ratios.balanceP95}`);
    out.push(`- ${yes(h.met.spend)} — spend: p50 ×${h.ratios.spendP50}, p95 ×${h.ratios.spendP95}`, '');
  }

  if (r.throughput && r.throughput.length > 0) {
    out.push('## 3. Throughput', '');
    out.push(
      `Requests per second over ${r.setup.throughputSeconds} s, after a warm-up of at least 1 s (2 s with worker threads) that lasts until every client has had 3 answers; each concurrent client has its own user. p50/p95 latency in ms.`,
      '',
    );
    const modes = [...new Set(r.throughput.map((t) => t.mode))];
    const concurrencies = [...new Set(r.throughput.map((t) => t.concurrency))];
    const rows: (string | number)[][] = [];
    for (const mode of modes) {
      for (const op of ['add', 'spend', 'balance'] as const) {
        const cells = concurrencies.map((c) => r.throughput!.find((t) => t.mode === mode && t.operation === op && t.concurrency === c));
        rows.push([mode, op === 'spend' ? 'spend (1 point)' : op, ...cells.map((t) => (t ? `${t.perSecond} (${t.p50}/${t.p95})${t.errors ? ` ${t.errors} errors` : ''}` : ''))]);
      }
    }
    out.push(table(['serverless-offline mode', 'operation', ...concurrencies.map((c) => `concurrency ${c}: req/s (p50/p95)`)], rows), '');
  }

  if (r.coldStart) {
    const c = r.coldStart;
    out.push('## 4. Cold start', '');
    out.push(
      `Each function bundled as \`serverless.yml\` \`custom.esbuild\` does (bundle, minify, ESM, node20, ESM main fields first, the aliases of \`scripts/bundle-aliases.cjs\`: env-only credentials, no event streams, no endpoint discovery, \`node:process\` taken from the global). Init: median time from process start until \`import()\` of the bundle resolved, minus the same for an empty module (${c.baselineMs} ms), over ${c.rows[0]?.runs ?? 0} fresh \`node\` processes that, like Lambda's Node.js runtime, have \`node:http\` loaded first, with a deployed function's environment (no local endpoint), on this machine's Node.js (${c.localNode}); the same on Lambda's Node.js major (${c.lambdaNode}${c.lambdaBaselineMs !== undefined ? `, empty module ${c.lambdaBaselineMs} ms` : ''}), run on this machine too (Lambda runs it on arm64); init CPU: the same in CPU time (user + system), which other processes on the machine sway less. Invocations: sequential calls of the handler in one process and the TCP connections they opened.`,
      '',
    );
    out.push(
      table(
        ['function', 'bundle KiB', 'gzip KiB', `init ms (${c.localNode})`, 'init CPU ms', 'init ms (Lambda\'s Node)', 'first call ms', 'warm call ms', 'connections / calls'],
        c.rows.map((row) => [row.function, row.kib, row.gzipKib, row.initMs, row.initCpuMs ?? '', row.lambdaInitMs ?? '', row.firstInvocationMs ?? '', row.warmInvocationMs ?? '', row.connections !== undefined ? `${row.connections} / ${row.invocations}` : '']),
      ),
      '',
    );
    out.push(`- ${yes(c.bundlesWithinGoal)} — every function's bundle at most ${GOALS.bundleBytes / 1000} KB unpacked (largest: ${Math.max(...c.rows.map((row) => row.kib))} KiB).`);
    out.push(`- ${yes(c.initWithinGoal)} — every function's module init at most ${GOALS.initMs} ms median on this machine, on its Node.js ${c.localNode} (slowest: ${Math.max(...c.rows.map((row) => row.initMs))} ms).`);
    if (c.lambdaInitWithinGoal !== undefined) {
      out.push(`- ${yes(c.lambdaInitWithinGoal)} — every function's module init at most ${GOALS.initMs} ms median on this machine, on Lambda's Node.js ${c.lambdaNode} (slowest: ${Math.max(...c.rows.map((row) => row.lambdaInitMs ?? 0))} ms).`);
    }
    out.push(`- ${yes(c.clientsReused)} — SDK clients are created once per container (at module load, \`lib/app.ts\`): every call after the first reused the first call's connection.`, '');
  }

  if (r.contention) out.push(...contentionMarkdown(r.contention));
  if (r.auth) {
    const a = r.auth;
    out.push('## 6. Token verification', '');
    out.push(
      `${a.requests} sequential \`GET /users/{id}/balance\` per mode, rotating between an API with \`AUTH_MODE=off\` and one with \`AUTH_MODE=jwt\`, both started for this section (in-process, same DynamoDB, same user); milliseconds.`,
      '',
    );
    out.push(table(['mode', 'balance p50', 'balance p95', 'mean'], a.rows.map((row) => [row.mode, row.balance.p50, row.balance.p95, row.balance.mean])), '');
    for (const [alg, added] of Object.entries(a.addedP50)) {
      out.push(`- ${yes(added <= 1)} — ${alg}: the jwt API's p50 is ${added} ms above the off API's (target: verification adds at most 1 ms); the verifier alone takes ${a.verifyMicros[alg]} µs per token (median, in-process)`);
    }
    out.push('');
  }

  if (r.events) out.push(...eventsMarkdown(r.events));
  if (r.webhooks) out.push(...webhooksMarkdown(r.webhooks, yes, table));
  if (r.errors.length > 0) out.push('## Errors', '', ...r.errors.map((e) => `- ${e}`), '');
  return out.join('\n');
}

function contentionMarkdown(c: ContentionSection): string[] {
  const out = ['## 5. One busy user (contention)', ''];
  out.push(
    `Measured ${c.measuredAt.slice(0, 16).replace('T', ' ')} UTC (1-minute load average ${c.loadAverage.start} at the start, ${c.loadAverage.end} at the end). ` +
      'Bare routes (the user `default`), serverless-offline in in-process mode (like `npm start`), on a DynamoDB Local of this section\'s own with its data on disk as under `npm start` (one SQLite file, in write-ahead-log mode), ' +
      'the table created afresh for each run. Adds are of 5 points; a mixed client alternates adds of 5 and spends of 3, the user first given one old lot of 10^9 points. ' +
      `Keep-alive HTTP clients, a warm-up with the run's own workload (${c.runs[0]?.warmupSeconds ?? 0} s or more: DynamoDB Local's JVM and the API's JIT keep getting faster for a long while; from a cold start, add@8 on one user rose from about 150 to about 500/s over its first 45 s here), then ${c.seconds} s measured; with 4 instances client k talks to instance k mod 4. ` +
      'req/s and latency (ms) count the legal answers in the window (200, and 400 `INSUFFICIENT_POINTS`); the other columns cover the whole run, warm-up and drain included; ' +
      'a timeout is no answer within 15 s. After each run the ledger is read back over HTTP: every balance must equal its payer\'s ledger sum and its lots\' `remaining`, none below zero, one record per 200.',
    '',
  );
  const statuses = (s: Record<string, number>) => Object.entries(s).map(([status, n]) => `${status === '0' ? 'no answer' : status}×${n}`).join(', ') || '—';
  out.push(
    table(
      ['run', 'clients', 'instances', 'req/s', 'p50', 'p99', '400 INSUFFICIENT_POINTS', 'non-2xx by status', '5xx', 'timeouts', 'ledger'],
      c.runs.map((run) => [run.name, run.clients, run.instances, run.perSecond, run.p50, run.p99, run.insufficientPoints, statuses(run.non2xx), run.serverErrors, run.timeouts, run.check.ok ? `✅ ${run.check.records} records` : `❌ ${run.check.detail}`]),
    ),
    '',
  );
  out.push('DynamoDB Local floor, timed with the SDK in the same run (no service in between):', '');
  out.push(table(['operation', 'concurrency', 'per second', 'p50', 'p99'], c.floor.map((f) => [f.operation, f.concurrency, f.perSecond, f.p50, f.p99])), '');
  out.push('Goals (issue 12):', '');
  for (const run of c.runs) for (const g of run.goals) out.push(`- ${yes(g.met)} — ${g.goal}`);
  out.push('');
  return out;
}
