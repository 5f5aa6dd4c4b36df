// The events pipeline is exactly-once whatever happens to its consumer: the stream feeder (and the
// stream consumer inside it) killed by SIGKILL again and again while a workload runs, then
// restarted from its checkpoints; and DynamoDB faults on the consumer's writes (tests/support/fault-proxy.ts).
// An API of this file's own, on its own table, with no feeder of its own: the test runs it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { freePort, startApi, startFeeder, prepareTable, type Running } from '../scripts/stack.js';
import { client, newUser } from './support/http.js';
import { eventsClient, newPayer, sleep } from './support/events.js';
import { expectFeeds, expectStatements, expectedEvents } from './support/events-check.js';
import { FaultProxy } from './support/fault-proxy.js';
import { randomWorkload, settle } from './support/workload.js';

const TABLE = 'points-events-crash';
let api: Running | undefined;
const http = client(() => api!.url);
const reader = eventsClient(http);
const feederEnv = { FEEDER_BATCH_SIZE: '100', SWEEP_INTERVAL_MS: '0' };

beforeAll(async () => {
  await prepareTable(inject('dynamoEndpoint'), TABLE);
  api = await startApi({ port: await freePort(), dynamoEndpoint: inject('dynamoEndpoint'), table: TABLE, quiet: true, env: { AUTH_MODE: 'off' }, feeder: false });
}, 180_000);

afterAll(async () => {
  await api?.stop();
});

const feed = (env: Record<string, string> = {}, endpoint = inject('dynamoEndpoint')) => startFeeder({ dynamoEndpoint: endpoint, table: TABLE, quiet: true, env: { ...feederEnv, ...env } });

describe('the stream consumer', () => {
  it('projects every event exactly once when it is killed mid-batch again and again', async () => {
    const users = Array.from({ length: 8 }, () => newUser('k'));
    const payers = Array.from({ length: 3 }, () => newPayer('K'));
    let writing = true;
    let killed = 0;
    // Each feeder SIGKILLs itself right after its k-th event (k random): in the middle of a batch,
    // after some of its records were projected and before its checkpoint.
    const crashes = (async () => {
      while (writing || killed < 6) {
        const feeder = feed({ FEEDER_DIE_AFTER_EVENTS: String(1 + Math.floor(Math.random() * 25)) });
        const exited = new Promise<NodeJS.Signals | null>((resolve) => feeder.process.once('exit', (_code, signal) => resolve(signal)));
        const signal = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
        if (signal === 'SIGKILL') killed += 1;
        await feeder.stop(true);
      }
    })();
    try {
      await randomWorkload(http, 11, users, payers, 150);
    } finally {
      writing = false;
      await crashes;
    }
    expect(killed).toBeGreaterThanOrEqual(6);
    const feeder = feed();
    try {
      const { balances, ledgers } = await settle(http, users);
      const feeds = await expectFeeds(expectedEvents(ledgers), 90_000, reader);
      await expectStatements(feeds, balances, reader);
    } finally {
      await feeder.stop();
    }
  }, 600_000);

  it('projects every event exactly once when DynamoDB faults hit its writes (lost answers, resets, throttles, 500s)', async () => {
    const proxy = await FaultProxy.start(inject('dynamoEndpoint'), { seed: 22, hangMs: 1000, slowMs: 300 });
    proxy.randomly(0.3, ['lost', 'reset', 'throttle', 'error500', 'slow', 'hang'], 'writes');
    // The handler's writes go through the proxy; the stream itself is read directly.
    const feeder = feed({ STREAM_ENDPOINT: inject('dynamoEndpoint') }, proxy.url);
    try {
      const users = Array.from({ length: 8 }, () => newUser('f'));
      const payers = Array.from({ length: 3 }, () => newPayer('F'));
      // Smaller than the kill test's workload: with 30% of writes failing, a batch seldom gets far
      // before its first failure, and is retried from there each time.
      await randomWorkload(http, 13, users, payers, 60);
      const { balances, ledgers } = await settle(http, users);
      const feeds = await expectFeeds(expectedEvents(ledgers), 360_000, reader);
      await expectStatements(feeds, balances, reader);
      expect(proxy.faults()).toBeGreaterThan(10);
    } finally {
      await feeder.stop();
      await proxy.close();
    }
  }, 600_000);

  it('records an expiry that nobody asks about: the sweep finds the account in the due index', async () => {
    const feeder = feed({ SWEEP_INTERVAL_MS: '500' });
    try {
      const user = newUser('s');
      const payer = newPayer('SWEEP');
      const added = await http.addExpiring(user, payer, 70, '2024-01-01T00:00:00Z', new Date(Date.now() + 1500).toISOString());
      expect(added.status).toBe(200);
      // Only the payer's feed is read from here on: nothing touches the user.
      const events = await reader.feedUntil(payer, (items) => items.some((e) => e.type === 'points.expired'), 60_000);
      expect(events.map((e) => [e.type, e.points, e.sequence])).toEqual([
        ['points.added', 70, 1],
        ['points.expired', -70, 2],
      ]);
      expect(events[1].transaction).toMatchObject({ type: 'expire', lot: added.body.id, timestamp: added.body.expiresAt });
    } finally {
      await feeder.stop();
    }
  }, 120_000);
});
