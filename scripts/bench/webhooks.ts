// Section 8, webhooks (docs/webhooks.md): on a stack of its own (DynamoDB Local, the API, the
// stream feeder and the deliverer, as under npm start), adds over HTTP to a subscription whose
// receiver answers at once: deliveries per second and commit-to-delivery lag (the event's
// createdAt, the service's clock on this machine, to its arrival), alone and beside a dead endpoint.
// Then the DynamoDB requests of one delivery, counted in-process, and the $ per million deliveries.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventsOf } from '../../lib/domain/events.js';
import { createClient } from '../../lib/dynamo/client.js';
import { DynamoWebhookStore } from '../../lib/dynamo/webhooks.js';
import { Deliverer } from '../../lib/service/webhooks/deliverer.js';
import { scheduleDeliveries } from '../../lib/service/webhooks/fanout.js';
import { WebhookService } from '../../lib/service/webhooks/subscriptions.js';
import { measure } from '../../lib/telemetry/metrics.js';
import { freePort, prepareTable, startApi, startDynamo, type Running } from '../stack.js';
import { ON_DEMAND } from './cost.js';
import { percentile, round } from './http.js';

export interface WebhookRun {
  name: string;
  deliveries: number;
  perSecond: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
}

export interface WebhooksSection {
  runs: WebhookRun[];
  /** DynamoDB requests per delivery (one attempt that succeeds), by command, measured. */
  requestsPerDelivery: Record<string, number>;
  /** Capacity units per delivery by DynamoDB's rules, the due index's writes included (model). */
  units: { read: number; write: number };
  usdPerMillion: number;
  goalP99Ms: number;
}

const GOAL_P99_MS = 3000;

/** A receiver that answers 204 at once (or never, when `dead`), noting each event's arrival. */
async function receiver(dead = false) {
  const arrivals: { createdAt: number; at: number }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      if (dead) return; // no answer: the attempt times out
      arrivals.push({ createdAt: Date.parse(JSON.parse(Buffer.concat(chunks).toString()).createdAt), at: Date.now() });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    arrivals,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function post(url: string, body: unknown) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, any>;
}

/** `users` add one after the other, `pauseMs` between adds (0: back to back), all users at once. */
async function run(name: string, api: string, load: { users: number; addsEach: number; pauseMs: number }, log: (line: string) => void, withDead: boolean): Promise<WebhookRun> {
  const { users, addsEach, pauseMs } = load;
  const payer = `BENCH-${name.replace(/\W+/g, '-')}-${Date.now().toString(36)}`;
  const healthy = await receiver();
  const dead = withDead ? await receiver(true) : undefined;
  const subs = [await post(`${api}/webhooks`, { url: healthy.url, payer })];
  if (dead) subs.push(await post(`${api}/webhooks`, { url: dead.url, payer }));
  try {
    const started = Date.now();
    await Promise.all(
      Array.from({ length: users }, async (_, u) => {
        for (let i = 0; i < addsEach; i++) {
          await post(`${api}/users/bench-wh-${started.toString(36)}-${u}/add`, { payer, points: 1, timestamp: new Date().toISOString() });
          if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
        }
      }),
    );
    const expected = users * addsEach;
    const deadline = Date.now() + 120_000;
    while (healthy.arrivals.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (healthy.arrivals.length < expected) throw new Error(`${name}: ${healthy.arrivals.length} of ${expected} deliveries after 2 minutes`);
    const lags = healthy.arrivals.map((a) => a.at - a.createdAt).sort((a, b) => a - b);
    const last = Math.max(...healthy.arrivals.map((a) => a.at));
    const result = { name, deliveries: expected, perSecond: round(expected / ((last - started) / 1000), 1), lagP50: percentile(lags, 50), lagP99: percentile(lags, 99), lagMax: lags.at(-1)! };
    log(`  ${name}: ${expected} deliveries, ${result.perSecond}/s, lag p50 ${result.lagP50} ms, p99 ${result.lagP99} ms`);
    return result;
  } finally {
    for (const sub of subs) await fetch(`${api}/webhooks/${sub.id}`, { method: 'DELETE' });
    await healthy.close();
    await dead?.close();
  }
}

/** The requests of one delivery that succeeds at its first attempt, counted by the metered client. */
async function requestsPerDelivery(endpoint: string, table: string): Promise<Record<string, number>> {
  const client = createClient(endpoint);
  const store = new DynamoWebhookStore(client, `${table}-webhooks`);
  const sink = await receiver();
  try {
    const sub = await new WebhookService(store, 'local').create({ all: true }, { url: sink.url, payer: 'BENCH-COST' });
    const n = 50;
    const now = new Date().toISOString();
    const events = Array.from({ length: n }, (_, i) => eventsOf({ userId: `bench-cost-${i}`, seq: 1, createdAt: now, item: { id: `1-${String(i).padStart(8, '0')}`, type: 'add', payer: 'BENCH-COST', points: 1, timestamp: now, remaining: 1 } })).flat();
    const deliverer = new Deliverer(store, { schedule: [], mode: 'local', timeoutMs: 15_000 });
    // One record's projection: the subscriptions' query, then its deliveries written and attempted.
    const { cost } = await measure(async () => {
      for (const event of events) {
        const scheduled = await scheduleDeliveries(store, [event]);
        deliverer.start(scheduled.map((d) => ({ subscriptionId: d.subscriptionId, id: d.id, dueAt: 0, userId: d.userId, sequence: d.sequence })));
      }
      await deliverer.drain();
    });
    await store.deleteSubscription(sub.id);
    return Object.fromEntries(Object.entries(cost.commands).map(([command, count]) => [command.replace(/Command$/, ''), round(count / n, 2)]));
  } finally {
    await sink.close();
    client.destroy();
  }
}

export async function webhooksSection(options: { quick: boolean; launch: (r: Promise<Running>) => Promise<Running>; stop: (r: Running) => Promise<void>; log: (line: string) => void }): Promise<WebhooksSection> {
  const { log } = options;
  const dynamo = await options.launch(startDynamo({ quiet: true }));
  const table = 'points-bench-webhooks';
  try {
    await prepareTable(dynamo.url, table);
    const api = await options.launch(startApi({ port: await freePort(), dynamoEndpoint: dynamo.url, table, inProcess: true, quiet: true, env: { AUTH_MODE: 'off' } }));
    const runs: WebhookRun[] = [];
    try {
      const [burst, paced] = options.quick ? [10, 10] : [30, 30];
      await run('warm-up', api.url, { users: 2, addsEach: 10, pauseMs: 0 }, log, false);
      // The lag goal is for a pipeline that keeps up: adds at a steady 4 per second.
      const steady = { users: 2, addsEach: paced, pauseMs: 500 };
      runs.push(await run(`steady: 2 users adding every 0.5 s, one healthy receiver`, api.url, steady, log, false));
      runs.push(await run(`steady, beside a dead endpoint (same payer, never answers)`, api.url, steady, log, true));
      // As fast as it goes: what the pipeline delivers per second (lag then is the backlog's).
      runs.push(await run(`burst: 8 users adding back to back, one healthy receiver`, api.url, { users: 8, addsEach: burst, pauseMs: 0 }, log, false));
    } finally {
      await options.stop(api);
    }
    const requests = await requestsPerDelivery(dynamo.url, table);
    // Capacity by DynamoDB's rules, items under 1 KB: the delivery's put (1) and its entry in the
    // due index (1); the claim's update (1) moving da, an index key (2: old entry out, new in); the
    // finish (1) taking it out of the index (1). Reads: the subscription, strongly consistent (1),
    // and the record's subscriptions query (1, shared by the record's deliveries).
    const units = { read: 2, write: 7 };
    const usdPerMillion = round(units.read * ON_DEMAND.usdPerMillionReadUnits + units.write * ON_DEMAND.usdPerMillionWriteUnits, 3);
    log(`  DynamoDB requests per delivery: ${JSON.stringify(requests)}; ${units.write} WRU + ${units.read} RRU = $${usdPerMillion} per million deliveries`);
    return { runs, requestsPerDelivery: requests, units, usdPerMillion, goalP99Ms: GOAL_P99_MS };
  } finally {
    await options.stop(dynamo);
  }
}

export function webhooksMarkdown(w: WebhooksSection, yes: (met: boolean) => string, table: (head: string[], rows: (string | number)[][]) => string): string[] {
  return [
    '## 8. Webhooks', '',
    'A stack of this section\'s own (in-memory DynamoDB Local, serverless-offline in-process, the stream feeder and the deliverer, as under `npm start`). ' +
      'Adds over HTTP, each user\'s one after the other, all users at once; a subscription of the adds\' payer whose receiver (node:http on 127.0.0.1) answers 204 at once. ' +
      'Lag: from the event\'s `createdAt` (the service\'s clock, this machine) to its arrival at the receiver; deliveries/s: from the first add to the last arrival.', '',
    table(['run', 'deliveries', 'per second', 'lag p50 (ms)', 'lag p99 (ms)', 'lag max (ms)'], w.runs.map((r) => [r.name, r.deliveries, r.perSecond, r.lagP50, r.lagP99, r.lagMax])), '',
    ...w.runs.filter((r) => r.name.startsWith('steady')).map((r) => `- ${yes(r.lagP99 <= w.goalP99Ms)} — ${r.name}: commit-to-delivery p99 at most ${w.goalP99Ms / 1000} s locally (${r.lagP99} ms)`), '',
    `DynamoDB requests of one delivery delivered at its first attempt (measured): ${Object.entries(w.requestsPerDelivery).map(([c, n]) => `${c} ${n}`).join(', ')}. ` +
      `By DynamoDB's rules that is ${w.units.write} write and ${w.units.read} read units (docs/webhooks.md "Cost"): **$${w.usdPerMillion} per million deliveries** on demand (${ON_DEMAND.region}), ` +
      'plus the deliverer\'s fixed cost (its function and its sweeps, about $14 a month whatever the traffic) and one more put, update pair per retry.', '',
  ];
}
