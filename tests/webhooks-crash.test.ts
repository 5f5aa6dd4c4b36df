// The delivery schedule survives the deliverer: a deliverer process killed (SIGKILL) while its
// attempts are in flight loses no delivery; the next one makes them again once their lease runs
// out, with the same webhook-id. And a stage's rule holds at every attempt: a host that resolves
// to the loopback gets nothing. Each part on a webhook table of its own, with its own deliverer.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventsOf } from '../lib/domain/events.js';
import { ApiError } from '../lib/domain/errors.js';
import { createClient } from '../lib/dynamo/client.js';
import { DynamoWebhookStore, ensureWebhookTable } from '../lib/dynamo/webhooks.js';
import { Deliverer } from '../lib/service/webhooks/deliverer.js';
import { FIRST_ATTEMPT_MS, scheduleDeliveries } from '../lib/service/webhooks/fanout.js';
import { WebhookService } from '../lib/service/webhooks/subscriptions.js';
import { startDeliverer, type Running } from '../scripts/stack.js';
import { WEBHOOK_TEST_ENV } from './support/global-setup.js';
import { newUser } from './support/http.js';
import { eventually, startReceiver } from './support/receiver.js';
import { addRecord } from './support/webhooks.js';

const db = createClient(inject('dynamoEndpoint'));
const table = `webhooks-crash-${process.pid}`;
const store = new DynamoWebhookStore(db, `${table}-webhooks`);
const running: Running[] = [];

beforeAll(async () => {
  await ensureWebhookTable(db, `${table}-webhooks`);
});

afterAll(async () => {
  for (const r of running) await r.stop(true);
});

const allDelivered = async (id: string, n: number) => (await store.listDeliveries(id, 'delivered', 1000)).items.length === n;

describe('the deliverer', () => {
  it('killed during attempts loses nothing: another makes them again', async () => {
    let answering = false;
    const receiver = await startReceiver(() => (answering ? 200 : 'hang'));
    const webhooks = new WebhookService(store, 'local');
    const sub = await webhooks.create({ all: true }, { url: receiver.url });
    receiver.secrets.push(sub.secret);
    const users = [newUser('wk'), newUser('wk'), newUser('wk')];
    const events = users.flatMap((user) => [1, 2, 3].flatMap((seq) => eventsOf(addRecord(user, seq, 'CRASH', seq))));
    await scheduleDeliveries(store, events);

    const first = startDeliverer({ dynamoEndpoint: inject('dynamoEndpoint'), table, quiet: true, env: WEBHOOK_TEST_ENV });
    running.push(first);
    // Attempts in flight (the receiver holds them), then the process dies as in a crash.
    await eventually(() => receiver.received.length >= 3, 30_000, 'attempts in flight');
    await first.stop(true);
    const before = receiver.received.length;
    answering = true;
    const second = startDeliverer({ dynamoEndpoint: inject('dynamoEndpoint'), table, quiet: true, env: WEBHOOK_TEST_ENV });
    running.push(second);
    await eventually(() => allDelivered(sub.id, events.length), 60_000, 'every delivery');
    expect(new Set(receiver.delivered().map((r) => r.id))).toEqual(new Set(events.map((e) => e.id)));
    // Those in flight at the kill were sent again, with the same webhook-id.
    const interrupted = receiver.received.slice(0, before).map((r) => r.id);
    for (const id of interrupted) expect(receiver.delivered().map((r) => r.id)).toContain(id);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    await second.stop();
    await receiver.close();
  });
});

describe('a stage', () => {
  const stage = new WebhookService(store, 'stage');

  it('refuses http:// and private, loopback, link-local and metadata addresses (400), and takes a public https:// address', async () => {
    for (const url of ['http://localhost:3000/hook', 'http://127.0.0.1:3000/', 'http://[::1]:3000/', 'http://8.8.8.8/', 'https://10.0.0.1/', 'https://127.0.0.1/', 'https://169.254.169.254/latest/meta-data', 'https://[fd00:ec2::254]/', 'https://localhost/']) {
      const refused = await stage.create({ all: true }, { url }).catch((error: unknown) => error);
      expect(refused, url).toBeInstanceOf(ApiError);
      expect((refused as ApiError).code).toBe('VALIDATION_FAILED');
    }
    const ok = await stage.create({ all: true }, { url: 'https://8.8.8.8/hook' });
    expect(ok.status).toBe('enabled');
    await store.deleteSubscription(ok.id);
  });

  it('checks the address again at every attempt: a name resolving to the loopback gets nothing', async () => {
    const receiver = await startReceiver();
    // Stored as npm start would accept it; attempted by a stage's deliverer.
    const sub = await new WebhookService(store, 'local').create({ all: true }, { url: `http://localhost:${receiver.port}/hook` });
    const [event] = eventsOf(addRecord(newUser('wt'), 1, 'STAGE', 5));
    await scheduleDeliveries(store, [event!]);
    const deliverer = new Deliverer(store, { schedule: [], mode: 'stage', timeoutMs: 3000 });
    // As a sweep once the first attempt's turn is over.
    await deliverer.sweep(Date.now() + FIRST_ATTEMPT_MS);
    await deliverer.drain();
    const [delivery] = (await store.listDeliveries(sub.id, undefined, 10)).items;
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, lastStatus: null });
    expect(receiver.received).toEqual([]);
    // The same delivery from a local deliverer arrives: the refusal was the stage's rule.
    await store.requeue(sub.id, delivery!.id, Date.now());
    const local = new Deliverer(store, { schedule: [], mode: 'local', timeoutMs: 3000 });
    await local.sweep();
    await local.drain();
    expect(receiver.received.map((r) => r.id)).toEqual([event!.id]);
    await store.deleteSubscription(sub.id);
    await receiver.close();
  });
});
