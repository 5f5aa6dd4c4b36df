// Webhooks over HTTP against the local stack, with real receivers on 127.0.0.1 verifying every
// signature with the `standardwebhooks` package. Events come from committed records through the
// same projection the stream consumer runs; the stack's own deliverer process sends them.
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../lib/domain/events.js';
import { add, call, newUser, spend } from './support/http.js';
import { eventually, startReceiver, type Receiver } from './support/receiver.js';
import { addRecord, publish, spendRecord, webhookStore } from './support/webhooks.js';

const store = webhookStore();
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** A subscription to `receiver` (its secret handed to the receiver), removed after the file. */
async function subscribe(receiver: Receiver, body: Record<string, unknown> = {}) {
  const created = await call('POST', '/webhooks', { url: receiver.url, ...body });
  expect(created.status, created.text).toBe(201);
  receiver.secrets.push(created.body.secret);
  cleanup.push(() => call('DELETE', `/webhooks/${created.body.id}`));
  return created.body as { id: string; secret: string; payer: string | null; types: string[] };
}

const deliveries = async (id: string, status?: string) => {
  const page = await call('GET', `/webhooks/${id}/deliveries?limit=1000${status ? `&status=${status}` : ''}`);
  expect(page.status, page.text).toBe(200);
  return page.body.items as any[];
};

const payer = (label: string) => `${label}-${newUser()}`;

describe('subscriptions', () => {
  it('are created with a secret shown once, listed and read without it, rotated, and deleted', async () => {
    const receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const created = await call('POST', '/webhooks', { url: receiver.url, payer: 'DANNON' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), url: receiver.url, types: [...EVENT_TYPES], payer: 'DANNON', status: 'enabled', createdAt: expect.any(String), secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/) });
    const { id } = created.body;
    const one = await call('GET', `/webhooks/${id}`);
    expect(one.status).toBe(200);
    const { secret: _secret, ...view } = created.body;
    expect(one.body).toEqual(view);
    const list = await call('GET', '/webhooks');
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual(view);
    expect(list.text).not.toContain('whsec_');
    const rotated = await call('POST', `/webhooks/${id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const deleted = await call('DELETE', `/webhooks/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    for (const [method, path] of [['GET', `/webhooks/${id}`], ['DELETE', `/webhooks/${id}`], ['POST', `/webhooks/${id}/rotate-secret`], ['GET', `/webhooks/${id}/deliveries`], ['POST', `/webhooks/${id}/deliveries/dl_x/retry`]] as const) {
      const gone = await call(method, path);
      expect(gone.status, `${method} ${path}`).toBe(404);
      expect(gone.body.code).toBe('NOT_FOUND');
    }
  });

  it('echo the types given, each once, in SPEC order', async () => {
    const created = await call('POST', '/webhooks', { url: 'http://localhost:9/x', types: ['points.spent', 'points.added', 'points.spent'] });
    expect(created.status).toBe(201);
    cleanup.push(() => call('DELETE', `/webhooks/${created.body.id}`));
    expect(created.body.types).toEqual(['points.added', 'points.spent']);
    expect(created.body.payer).toBeNull();
  });

  it('accept localhost, 127.0.0.1 and [::1] over http:// under npm start, and refuse anything else with 400 VALIDATION_FAILED', async () => {
    for (const url of ['http://localhost:3000/hook', 'http://127.0.0.1:3000/hook', 'http://[::1]:3000/hook']) {
      const created = await call('POST', '/webhooks', { url });
      expect(created.status, url).toBe(201);
      cleanup.push(() => call('DELETE', `/webhooks/${created.body.id}`));
    }
    const refused = [
      { url: 'http://hooks.example.com/in' }, { url: 'http://10.0.0.1/in' }, { url: 'https://169.254.169.254/latest' }, { url: 'https://192.168.1.2/' },
      { url: 'ftp://example.com/' }, { url: 'not a url' }, { url: `https://example.com/${'a'.repeat(2040)}` }, {}, { url: 'http://localhost/', extra: 1 },
      { url: 'http://localhost/', types: ['points.nope'] }, { url: 'http://localhost/', types: [] }, { url: 'http://localhost/', payer: '' }, { url: 42 },
    ];
    for (const body of refused) {
      const answer = await call('POST', '/webhooks', body);
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.body.code).toBe('VALIDATION_FAILED');
    }
  });
});

/** Every event of the payer's feed (GET /events), following cursors until a page comes back empty. */
async function feed(p: string): Promise<any[]> {
  const items: any[] = [];
  let cursor = '';
  for (;;) {
    const page = await call('GET', `/events?payer=${encodeURIComponent(p)}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status, page.text).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
    if (!page.body.hasMore) return items;
  }
}

/** Two payers; receivers subscribed to all of DANNON's events, to its spends only, and to another payer's. */
async function matchingSetup() {
  const [dannon, unilever] = [payer('DANNON'), payer('UNILEVER')];
  const receivers = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
  cleanup.push(...receivers.map((r) => () => r.close()));
  const [all, spentOnly, other] = receivers as [Receiver, Receiver, Receiver];
  await subscribe(all, { payer: dannon });
  await subscribe(spentOnly, { payer: dannon, types: ['points.spent'] });
  await subscribe(other, { payer: payer('OTHER') });
  return { dannon, unilever, all, spentOnly, other };
}

describe('delivery', () => {
  it('end to end: every event of a random workload over the API reaches every matching subscription, and no other', async () => {
    const { dannon, unilever, all, spentOnly, other } = await matchingSetup();
    const users = [newUser('we'), newUser('we')];
    await Promise.all(
      users.map(async (user) => {
        for (let i = 0; i < 10; i++) {
          const roll = Math.random();
          if (roll < 0.6) expect((await add(user, Math.random() < 0.5 ? dannon : unilever, 1 + Math.floor(Math.random() * 50), new Date().toISOString())).status).toBe(200);
          else await spend(user, 1 + Math.floor(Math.random() * 30)); // refused when short: no event
        }
      }),
    );
    // What the event pipeline recorded for the payer (its feed) is what the subscription must get.
    const expected = await eventually(async () => {
      const events = await feed(dannon);
      const ledgerItems = (await Promise.all(users.map((u) => call('GET', `/users/${u}/transactions?limit=1000`)))).flatMap((page) => page.body.items);
      const parts = ledgerItems.filter((item: any) => item.payer === dannon || (item.breakdown ?? []).some((b: any) => b.payer === dannon)).length;
      return events.length === parts && events;
    }, 30_000, 'the feed');
    await eventually(() => new Set(all.delivered().map((d) => d.id)).size >= expected.length, 30_000, 'deliveries');
    await eventually(() => new Set(spentOnly.delivered().map((d) => d.id)).size >= expected.filter((e) => e.type === 'points.spent').length, 30_000, 'spent deliveries');
    const byId = (r: Receiver) => new Map(r.delivered().map((d) => [d.id, d.event]));
    expect([...byId(all).keys()].sort()).toEqual(expected.map((e) => e.id).sort());
    for (const event of expected) expect(byId(all).get(event.id)).toEqual(event);
    expect([...byId(spentOnly).keys()].sort()).toEqual(expected.filter((e) => e.type === 'points.spent').map((e) => e.id).sort());
    expect([...all.received, ...spentOnly.received].every((r) => r.verified)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(other.received).toEqual([]);
  });

  it('sends every event to every matching subscription, signed, and nothing to the others', async () => {
    const { dannon, unilever, all, spentOnly, other } = await matchingSetup();
    const users = [newUser('wa'), newUser('wb'), newUser('wc')];
    // A random workload: adds, deductions and spends over two payers, per user in ledger order.
    const records = users.flatMap((user) =>
      Array.from({ length: 8 }, (_, i) => {
        const seq = i + 1;
        const roll = Math.random();
        if (roll < 0.5) return addRecord(user, seq, Math.random() < 0.5 ? dannon : unilever, 1 + Math.floor(Math.random() * 100));
        if (roll < 0.7) return addRecord(user, seq, dannon, -1);
        return spendRecord(user, seq, Math.random() < 0.5 ? [dannon, unilever] : [unilever]);
      }),
    );
    const events = await publish(store, records);
    const expectedAll = events.filter((e) => e.payer === dannon);
    const expectedSpent = expectedAll.filter((e) => e.type === 'points.spent');
    await eventually(() => all.delivered().length >= expectedAll.length && spentOnly.delivered().length >= expectedSpent.length, 30_000, 'deliveries');
    const ids = (r: Receiver) => [...new Set(r.delivered().map((d) => d.id))].sort();
    expect(ids(all)).toEqual(expectedAll.map((e) => e.id).sort());
    expect(ids(spentOnly)).toEqual(expectedSpent.map((e) => e.id).sort());
    for (const r of [all, spentOnly]) {
      for (const got of r.received) {
        expect(got.verified).toBe(true);
        expect(got.contentType).toBe('application/json');
        expect(got.event.id).toBe(got.id);
        expect(got.event).toEqual(events.find((e) => e.id === got.id));
      }
    }
    // Per user, a healthy endpoint receives the events in ledger order.
    for (const user of users) {
      const sequences = all.received.filter((r) => r.event.userId === user).map((r) => r.event.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    }
    // Publishing the same records again (a stream record seen twice) schedules nothing new.
    await publish(store, records);
    await new Promise((r) => setTimeout(r, 1500));
    expect(all.received).toHaveLength(expectedAll.length);
    expect(other.received).toEqual([]);
  });

  it('retries a receiver that answers 500, drops the connection or says nothing, with the same webhook-id each time', async () => {
    const behaviours = [500, 'drop', 'hang', 200] as const;
    const receiver = await startReceiver((n) => behaviours[Math.min(n, 3)]!);
    cleanup.push(() => receiver.close());
    const p = payer('FLAKY');
    const sub = await subscribe(receiver, { payer: p });
    const [event] = await publish(store, [addRecord(newUser('wf'), 1, p, 10)]);
    await eventually(() => receiver.delivered().length === 1, 40_000, 'the fourth attempt');
    expect(receiver.received.map((r) => r.id)).toEqual(Array(4).fill(event!.id));
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    // Each attempt is signed at its own time.
    expect(receiver.received.at(-1)!.timestamp).toBeGreaterThan(receiver.received[0]!.timestamp);
    const [delivery] = await eventually(async () => {
      const items = await deliveries(sub.id, 'delivered');
      return items.length === 1 && items;
    }, 10_000, 'the delivery recorded');
    expect(delivery).toEqual({ id: expect.any(String), eventId: event!.id, status: 'delivered', attempts: 4, lastAttemptAt: expect.any(String), lastStatus: 200, nextAttemptAt: null });
  });

  it('fails a delivery nobody answers, lists it, and delivers it by the retry route once the receiver is back', async () => {
    const down = await startReceiver();
    const port = down.port;
    await down.close(); // nothing listens: every attempt is refused
    const p = payer('DOWN');
    const created = await call('POST', '/webhooks', { url: `http://127.0.0.1:${port}/hook`, payer: p });
    cleanup.push(() => call('DELETE', `/webhooks/${created.body.id}`));
    const [event] = await publish(store, [addRecord(newUser('wd'), 1, p, 10)]);
    const pending = await deliveries(created.body.id, 'pending');
    expect(pending).toEqual([{ id: expect.any(String), eventId: event!.id, status: 'pending', attempts: expect.any(Number), lastAttemptAt: expect.toBeOneOf([null, expect.any(String)]), lastStatus: null, nextAttemptAt: expect.any(String) }]);
    const [failed] = await eventually(async () => {
      const items = await deliveries(created.body.id, 'failed');
      return items.length === 1 && items;
    }, 30_000, 'the delivery to fail');
    expect(failed).toEqual({ id: pending[0].id, eventId: event!.id, status: 'failed', attempts: 4, lastAttemptAt: expect.any(String), lastStatus: null, nextAttemptAt: null });
    expect(await deliveries(created.body.id, 'pending')).toEqual([]);

    const back = await startReceiver(() => 200, port);
    cleanup.push(() => back.close());
    back.secrets.push(created.body.secret);
    const retried = await call('POST', `/webhooks/${created.body.id}/deliveries/${failed.id}/retry`);
    expect(retried.status, retried.text).toBe(202);
    await eventually(() => back.delivered().length === 1, 10_000, 'the retried delivery');
    expect(back.received[0]!.id).toBe(event!.id);
    const [done] = await eventually(async () => {
      const items = await deliveries(created.body.id, 'delivered');
      return items.length === 1 && items;
    }, 10_000, 'the retry recorded');
    expect(done).toMatchObject({ id: failed.id, status: 'delivered', attempts: 5, lastStatus: 200 });
    const again = await call('POST', `/webhooks/${created.body.id}/deliveries/${failed.id}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('NOT_RETRYABLE');
    const unknown = await call('POST', `/webhooks/${created.body.id}/deliveries/dl_nope/retry`);
    expect(unknown.status).toBe(404);
  });

  it('disables the subscription on 410 Gone: that delivery and every pending one end failed, nothing more is sent', async () => {
    const receiver = await startReceiver(() => 410);
    cleanup.push(() => receiver.close());
    const p = payer('GONE');
    const sub = await subscribe(receiver, { payer: p });
    const user = newUser('wg');
    await publish(store, [addRecord(user, 1, p, 1)]);
    await eventually(async () => (await call('GET', `/webhooks/${sub.id}`)).body.status === 'disabled', 10_000, 'the subscription disabled');
    await publish(store, [addRecord(user, 2, p, 1), addRecord(user, 3, p, 1)]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.received).toHaveLength(1);
    const all = await deliveries(sub.id);
    expect(all.map((d) => d.status)).toEqual(['failed']);
    expect(all[0]).toMatchObject({ attempts: 1, lastStatus: 410, nextAttemptAt: null });
    const retry = await call('POST', `/webhooks/${sub.id}/deliveries/${all[0].id}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.code).toBe('NOT_RETRYABLE');
  });

  it('pages deliveries with limit and cursor, and refuses a bad status, limit or cursor', async () => {
    const receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const p = payer('PAGES');
    const sub = await subscribe(receiver, { payer: p });
    const user = newUser('wp');
    await publish(store, Array.from({ length: 5 }, (_, i) => addRecord(user, i + 1, p, 1)));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call('GET', `/webhooks/${sub.id}/deliveries?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((d: any) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(5);
    for (const query of ['status=lost', 'limit=0', 'limit=1001', 'cursor=abc']) {
      const bad = await call('GET', `/webhooks/${sub.id}/deliveries?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('keeps delivering to a healthy endpoint while another never answers', async () => {
    const dead = await startReceiver(() => 'hang');
    const healthy = await startReceiver();
    cleanup.push(() => dead.close(), () => healthy.close());
    const p = payer('HOL');
    const deadSub = await subscribe(dead, { payer: p });
    await subscribe(healthy, { payer: p });
    const users = Array.from({ length: 4 }, () => newUser('wh'));
    const started = Date.now();
    const events = await publish(store, users.flatMap((user) => Array.from({ length: 5 }, (_, i) => addRecord(user, i + 1, p, 1))));
    await eventually(() => healthy.delivered().length >= events.length, 30_000, 'the healthy endpoint');
    const lags = healthy.delivered().map((r) => r.at - started).sort((a, b) => a - b);
    console.log(`healthy endpoint beside a dead one: ${events.length} events, lag p50 ${lags[Math.floor(lags.length / 2)]} ms, max ${lags.at(-1)} ms`);
    // The dead endpoint holds only its own slots (4 attempts at a time, 3 s each): the healthy one
    // had everything long before the dead one could have been tried for all 20 events.
    expect(lags.at(-1)!).toBeLessThan(20 * 3000 / 4);
    expect((await deliveries(deadSub.id, 'delivered'))).toEqual([]);
  });
});
