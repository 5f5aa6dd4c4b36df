// Sections 2 and 3, over HTTP: latency against history size, and throughput.
import { Client, round, summarise, throughput, timed, type Latency, type Throughput } from './http.js';
import type { HistoryUser } from './cost.js';

export interface HistoryLatencyRow {
  history: number;
  openLots: number;
  balance: Latency;
  spend: Latency;
}

export interface HistoryLatencySection {
  mode: string;
  requests: number;
  rows: HistoryLatencyRow[];
  /** The largest history's p50 and p95 over the smallest's, and whether each is within 1.2. */
  ratios: { balanceP50: number; balanceP95: number; spendP50: number; spendP95: number };
  met: { balance: boolean; spend: boolean };
}

/**
 * `requests` sequential balances and 1-point spends per history size, interleaved round-robin
 * across the sizes (so noise from other processes falls on all sizes alike), after a warm-up.
 */
export async function historyLatencySection(options: {
  url: string;
  mode: string;
  users: (HistoryUser & { openLots: number })[];
  requests: number;
  warmup: number;
  log: (line: string) => void;
}): Promise<HistoryLatencySection> {
  const client = new Client(options.url);
  try {
    const balance = (u: HistoryUser) => () => client.call('GET', `/users/${u.userId}/balance`);
    const spend = (u: HistoryUser) => () => client.call('POST', `/users/${u.userId}/spend`, { points: 1 });
    const samples = new Map(options.users.map((u) => [u.userId, { balance: [] as number[], spend: [] as number[] }]));
    for (const kind of ['balance', 'spend'] as const) {
      const make = kind === 'balance' ? balance : spend;
      for (let i = 0; i < options.warmup; i++) for (const u of options.users) await timed(make(u));
      for (let i = 0; i < options.requests; i++) {
        // Rotate the order each round: no size always goes first after a pause.
        for (let k = 0; k < options.users.length; k++) {
          const u = options.users[(i + k) % options.users.length]!;
          samples.get(u.userId)![kind].push(await timed(make(u)));
        }
      }
      options.log(`  ${kind}: ${options.requests} requests × ${options.users.length} history sizes done`);
    }
    const rows = options.users.map((u) => ({
      history: u.size,
      openLots: u.openLots,
      balance: summarise(samples.get(u.userId)!.balance),
      spend: summarise(samples.get(u.userId)!.spend),
    }));
    const first = rows[0]!;
    const last = rows.at(-1)!;
    const ratios = {
      balanceP50: round(last.balance.p50 / first.balance.p50),
      balanceP95: round(last.balance.p95 / first.balance.p95),
      spendP50: round(last.spend.p50 / first.spend.p50),
      spendP95: round(last.spend.p95 / first.spend.p95),
    };
    for (const r of rows) options.log(`  ${r.history} past: balance p50 ${r.balance.p50} p95 ${r.balance.p95} ms; spend p50 ${r.spend.p50} p95 ${r.spend.p95} ms`);
    return {
      mode: options.mode,
      requests: options.requests,
      rows,
      ratios,
      met: { balance: ratios.balanceP50 <= 1.2 && ratios.balanceP95 <= 1.2, spend: ratios.spendP50 <= 1.2 && ratios.spendP95 <= 1.2 },
    };
  } finally {
    client.close();
  }
}

export interface ThroughputRow extends Throughput {
  mode: string;
  operation: 'add' | 'spend' | 'balance';
}

/**
 * Requests per second for add, 1-point spend and balance at each concurrency. Every loop has
 * its own user (requests for one user are serialised by design; this measures the service, not
 * contention); spend users start with one large lot.
 */
export async function throughputSection(options: {
  url: string;
  mode: string;
  runId: string;
  concurrencies: number[];
  seconds: number;
  /** At least this long, and until every loop has had answers (worker threads start cold). */
  warmupSeconds: number;
  log: (line: string) => void;
}): Promise<ThroughputRow[]> {
  const client = new Client(options.url);
  const rows: ThroughputRow[] = [];
  const slug = options.mode.replace(/[^A-Za-z0-9]+/g, '-');
  try {
    for (const operation of ['add', 'spend', 'balance'] as const) {
      for (const concurrency of options.concurrencies) {
        const users = Array.from({ length: concurrency }, (_, w) => `bench-${options.runId}-tp-${slug}-${operation}-${concurrency}-${w}`);
        if (operation !== 'add') {
          await Promise.all(users.map((u) => client.ok('POST', `/users/${u}/add`, { payer: 'DANNON', points: 1_000_000_000, timestamp: '2024-01-01T00:00:00Z' })));
        }
        const make = (w: number, i: number) => {
          const u = users[w]!;
          if (operation === 'add') {
            return client.call('POST', `/users/${u}/add`, { payer: ['DANNON', 'UNILEVER', 'MILLER COORS'][i % 3], points: 10, timestamp: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() });
          }
          if (operation === 'spend') return client.call('POST', `/users/${u}/spend`, { points: 1 });
          return client.call('GET', `/users/${u}/balance`);
        };
        const result = await throughput(concurrency, options.seconds, make, options.warmupSeconds);
        rows.push({ mode: options.mode, operation, ...result });
        options.log(`  ${operation} ×${concurrency}: ${result.perSecond} req/s (p50 ${result.p50} ms, p95 ${result.p95} ms${result.errors ? `, ${result.errors} errors` : ''})`);
      }
    }
  } finally {
    client.close();
  }
  return rows;
}
