// Section 7, the events pipeline (docs/events.md): how many events per second the stream consumer
// projects here (the local feeder running the consumer on DynamoDB Local's stream), the lag from
// a write's answer to its event being readable in the feed, and what one event costs in DynamoDB
// requests, capacity units and dollars.
import { eventsOf, type PointsEvent } from '../../lib/domain/events.js';
import { FEED_SHARDS } from '../../lib/domain/feed.js';
import { addBodySchema } from '../../lib/domain/schemas/add.js';
import { createClient } from '../../lib/dynamo/client.js';
import { DynamoEventStore } from '../../lib/dynamo/event-store.js';
import { eventsTableName } from '../../lib/dynamo/events-table.js';
import { EventsService } from '../../lib/service/events.js';
import { measure } from '../../lib/telemetry/metrics.js';
import { countCapacity } from './capacity.js';
import { ON_DEMAND, meteredService } from './cost.js';
import { prepareTable, startFeeder, type Running } from '../stack.js';

export interface EventsSection {
  /** Events projected by a feeder started on a backlog. */
  backlog: { events: number; seconds: number; eventsPerSecond: number };
  /** From a write's 200 to its event in the feed. */
  lag: { samples: number; p50Ms: number; p99Ms: number; goalP99Ms: number; met: boolean };
  perEvent: { requests: number; writeRequests: number; readUnits: number; writeUnits: number; usdPerMillionEvents: number };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const addBody = (payer: string, points: number) => addBodySchema.parse({ payer, points, timestamp: '2024-06-01T12:00:00Z' });

export async function eventsSection(options: { endpoint: string; runId: string; records: number; lagSamples: number; log: (line: string) => void; track: (running: Running) => void; stop: (running: Running) => Promise<void> }): Promise<EventsSection> {
  const { endpoint, runId, log } = options;
  const table = `points-bench-events-${runId}`;
  await prepareTable(endpoint, table);
  const writer = meteredService(endpoint, table);
  const readerClient = createClient(endpoint);
  const reader = new EventsService(new DynamoEventStore(readerClient, eventsTableName(table)));
  const payers = ['DANNON', 'UNILEVER', 'MILLER COORS', 'ACME'].map((p) => `${p}-${runId}`);
  const positions = new Map(payers.map((payer) => [payer, new Array<number>(FEED_SHARDS).fill(0)]));
  /** Events readable now that were not read before, over every payer. */
  const readNew = async (payer: string) => {
    const slice = await reader.feed(payer, positions.get(payer), 1000);
    positions.set(payer, slice.positions);
    return slice.events.length;
  };
  try {
    // A backlog written while no consumer runs, then a feeder started on it.
    log(`  writing ${options.records} adds with no consumer running`);
    const users = Array.from({ length: 40 }, (_, i) => `bench-${runId}-events-${i}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < options.records) {
          const i = next++;
          await writer.service.add(users[i % users.length]!, addBody(payers[i % payers.length]!, 10 + (i % 90)));
        }
      }),
    );
    const feeder = startFeeder({ dynamoEndpoint: endpoint, table, quiet: true, env: { SWEEP_INTERVAL_MS: '0' } });
    options.track(feeder);
    let seen = 0;
    let first = 0;
    while (seen < options.records) {
      for (const payer of payers) seen += await readNew(payer);
      if (seen > 0 && first === 0) first = performance.now();
      await sleep(50);
    }
    const seconds = (performance.now() - first) / 1000;
    const backlog = { events: seen, seconds: round(seconds, 2), eventsPerSecond: Math.round(seen / seconds) };
    log(`  backlog: ${seen} events projected in ${seconds.toFixed(2)} s (${backlog.eventsPerSecond}/s; from the first readable one)`);

    // Lag: one write at a time, its event polled for every 10 ms.
    const lags: number[] = [];
    for (let i = 0; i < options.lagSamples; i++) {
      const payer = payers[i % payers.length]!;
      await writer.service.add(users[i % users.length]!, addBody(payer, 5));
      const answered = performance.now();
      while ((await readNew(payer)) === 0) await sleep(10);
      lags.push(performance.now() - answered);
    }
    lags.sort((a, b) => a - b);
    const lag = { samples: lags.length, p50Ms: Math.round(percentile(lags, 50)), p99Ms: Math.round(percentile(lags, 99)), goalP99Ms: 2000, met: percentile(lags, 99) <= 2000 };
    log(`  commit → feed lag over ${lags.length} writes: p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms (goal p99 ≤ 2000 ms)`);
    await options.stop(feeder);

    // One event's projection, metered: requests and capacity units by DynamoDB's rules.
    const meteredClient = createClient(endpoint);
    countCapacity(meteredClient);
    const store = new DynamoEventStore(meteredClient, eventsTableName(table));
    const samples: PointsEvent[] = Array.from({ length: 200 }, (_, i) =>
      eventsOf({ userId: `bench-${runId}-metered-${i % 20}`, seq: 1 + Math.floor(i / 20), createdAt: new Date().toISOString(), item: { id: `m${i}`, type: 'add', payer: payers[i % payers.length]!, points: 10, timestamp: '2024-06-01T12:00:00Z', remaining: 10 } })[0]!,
    );
    const { cost } = await measure(async () => {
      for (const event of samples) await store.project(event);
    });
    meteredClient.destroy();
    const writeUnits = cost.writeUnits / samples.length;
    const readUnits = cost.readUnits / samples.length;
    const perEvent = {
      requests: round(cost.requests / samples.length, 2),
      writeRequests: round(cost.writeRequests / samples.length, 2),
      readUnits: round(readUnits, 2),
      writeUnits: round(writeUnits, 2),
      usdPerMillionEvents: round(writeUnits * ON_DEMAND.usdPerMillionWriteUnits + readUnits * ON_DEMAND.usdPerMillionReadUnits, 2),
    };
    log(`  per event: ${perEvent.requests} requests, ${perEvent.writeUnits} write units, ${perEvent.readUnits} read units: $${perEvent.usdPerMillionEvents} per million events (on demand, ${ON_DEMAND.region})`);
    return { backlog, lag, perEvent };
  } finally {
    writer.destroy();
    readerClient.destroy();
  }
}

export function eventsMarkdown(s: EventsSection): string[] {
  return [
    '## 7. Events pipeline (stream consumer on DynamoDB Local\'s stream, local feeder)',
    '',
    '| measure | value |',
    '|---|---:|',
    `| events projected per second (backlog of ${s.backlog.events}) | ${s.backlog.eventsPerSecond} |`,
    `| commit → feed lag p50 (${s.lag.samples} writes) | ${s.lag.p50Ms} ms |`,
    `| commit → feed lag p99 (goal ≤ ${s.lag.goalP99Ms} ms) | ${s.lag.p99Ms} ms ${s.lag.met ? '✅ met' : '❌ not met'} |`,
    `| DynamoDB requests per event (writes) | ${s.perEvent.requests} (${s.perEvent.writeRequests}) |`,
    `| capacity units per event (write / read) | ${s.perEvent.writeUnits} / ${s.perEvent.readUnits} |`,
    `| $ per million events (on demand, writes and reads) | ${s.perEvent.usdPerMillionEvents} |`,
    '',
  ];
}
