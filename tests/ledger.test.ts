// SPEC "Routes: GET /transactions" and "Fields": the ledger over HTTP — every add and spend once,
// in the order recorded, with exactly the documented fields, paged by checksummed cursors.
import { beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './support/expect.js';
import { FifoModel, comparable, isoAfter } from './support/fifo-model.js';
import { add, balance, call, ledger, newUser, spend, type Answer } from './support/http.js';

type Page = { items: any[]; nextCursor: string | null };

const ADD_KEYS = ['id', 'payer', 'points', 'remaining', 'timestamp', 'type'];
const NEGATIVE_ADD_KEYS = ['id', 'payer', 'points', 'timestamp', 'type'];
const SPEND_KEYS = ['breakdown', 'id', 'points', 'reversed', 'timestamp', 'type'];
const UTC_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const page = (user: string, query = '') => call<Page>('GET', `/users/${user}/transactions${query ? `?${query}` : ''}`);

/** Applies an add to the service and the model; the model says whether it must succeed. */
async function addBoth(model: FifoModel, user: string, payer: string, points: number, timestamp: string, utc = timestamp) {
  const expected = model.add(payer, points, timestamp, utc);
  const answer = await add(user, payer, points, timestamp);
  if ('refused' in expected) {
    expectProblem(answer, 400, expected.refused);
    return answer;
  }
  expect(answer.status).toBe(200);
  const { lot: _lot, ...fields } = expected as any;
  expect(answer.body).toEqual({ id: expect.any(String), ...fields, ...(points > 0 ? { remaining: points } : {}) });
  return answer;
}

async function spendBoth(model: FifoModel, user: string, points: number) {
  const expected = model.spend(points);
  const answer = await spend(user, points);
  if ('refused' in expected) expectProblem(answer, 400, expected.refused);
  else {
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(expected);
  }
  return answer;
}

/** Field sets of SPEC "Fields", unique ids, UTC timestamps. */
function expectWellFormed(items: any[]) {
  for (const item of items) {
    expect(typeof item.id).toBe('string');
    expect(item.id.length).toBeGreaterThan(0);
    expect(item.timestamp).toMatch(UTC_DATE_TIME);
    expect(Number.isInteger(item.points)).toBe(true);
    if (item.type === 'add') {
      expect(Object.keys(item).sort()).toEqual(item.points > 0 ? ADD_KEYS : NEGATIVE_ADD_KEYS);
      if (item.points > 0) expect(item.remaining).toBeGreaterThanOrEqual(0);
      if (item.points > 0) expect(item.remaining).toBeLessThanOrEqual(item.points);
    } else {
      expect(item.type).toBe('spend');
      expect(Object.keys(item).sort()).toEqual(SPEND_KEYS);
      expect(item.points).toBeLessThan(0);
      for (const entry of item.breakdown) {
        expect(Object.keys(entry).sort()).toEqual(['payer', 'points']);
        expect(entry.points).toBeLessThan(0);
      }
      expect(new Set(item.breakdown.map((e: any) => e.payer)).size).toBe(item.breakdown.length);
    }
  }
  expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
}

/**
 * SPEC "balances always equal the sum of the ledger": per payer, adds plus spend breakdowns give
 * the balance; all items' points give the total; open lots' remaining give each payer's balance.
 */
function expectLedgerMatchesBalance(items: any[], balances: Record<string, number>) {
  const perPayer = new Map<string, number>();
  const remaining = new Map<string, number>();
  const bump = (map: Map<string, number>, payer: string, n: number) => map.set(payer, (map.get(payer) ?? 0) + n);
  let total = 0;
  for (const item of items) {
    total += item.points;
    if (item.type === 'add') {
      bump(perPayer, item.payer, item.points);
      if (item.points > 0) bump(remaining, item.payer, item.remaining);
    } else {
      let sum = 0;
      for (const entry of item.breakdown) {
        bump(perPayer, entry.payer, entry.points);
        sum += entry.points;
      }
      expect(sum).toBe(item.points);
    }
  }
  expect(Object.fromEntries(perPayer)).toEqual(balances);
  expect(Object.fromEntries(remaining)).toEqual(balances);
  expect(total).toBe(Object.values(balances).reduce((a, b) => a + b, 0));
}

/** Follows nextCursor with a given page size; checks page sizes along the way. */
async function allPages(user: string, limit: number): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const answer: Answer<Page> = await page(user, `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['items', 'nextCursor']);
    pages++;
    cursor = answer.body.nextCursor;
    expect(answer.body.items.length).toBeLessThanOrEqual(limit);
    // A page that points at another is full, and no page is empty (but the only one of an empty ledger).
    if (cursor !== null) expect(answer.body.items).toHaveLength(limit);
    else if (pages > 1) expect(answer.body.items.length).toBeGreaterThan(0);
    if (cursor !== null) expect(typeof cursor).toBe('string');
    items.push(...answer.body.items);
    expect(pages).toBeLessThan(10_000);
  } while (cursor !== null);
  return { items, pages };
}

describe('ledger contents', () => {
  it('lists every add and spend once, in arrival order, with exactly the fields of SPEC', async () => {
    const user = newUser('ledger');
    const model = new FifoModel();
    const started = Date.now();
    const ids: string[] = [];
    const keep = (answer: Answer<any>) => answer.status === 200 && !Array.isArray(answer.body) && ids.push(answer.body.id);

    keep(await addBoth(model, user, 'A', 300, '2022-10-31T12:00:00+02:00', '2022-10-31T10:00:00Z'));
    keep(await addBoth(model, user, 'B', 200, '2022-10-31T06:30:00.250-04:30', '2022-10-31T11:00:00.250Z'));
    keep(await addBoth(model, user, 'A', -100, '2022-10-31T15:00:00Z'));
    keep(await addBoth(model, user, 'C', 1000, '2022-10-31T01:59:59.750+02:00', '2022-10-30T23:59:59.750Z'));
    await spendBoth(model, user, 1100); // C 1000 (oldest), then A's first lot
    await spendBoth(model, user, 100_000); // refused: not in the ledger
    keep(await addBoth(model, user, 'D', 50, '2022-12-31T23:30:00-01:00', '2023-01-01T00:30:00Z'));
    await addBoth(model, user, 'D', -51, '2022-11-01T00:00:00Z'); // refused
    keep(await addBoth(model, user, 'B', -50, '2022-11-01T00:00:00Z'));
    await spendBoth(model, user, 200);
    // Same instant as B's lot, written another way: it comes after B's lot (order received).
    keep(await addBoth(model, user, 'E', 10, '2022-10-31T12:00:00.250+01:00', '2022-10-31T11:00:00.250Z'));
    await spendBoth(model, user, 60);
    keep(await addBoth(model, user, 'A', 5, '2022-10-31T10:00:00Z'));
    const finished = Date.now();

    const answer = await page(user);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body.nextCursor).toBeNull();
    const items = answer.body.items;
    expectWellFormed(items);
    expect(comparable(items)).toEqual(model.ledger());
    expect(items.filter((item) => item.type === 'add').map((item) => item.id)).toEqual(ids);
    for (const item of items.filter((i) => i.type === 'spend')) {
      const at = Date.parse(item.timestamp);
      expect(at).toBeGreaterThanOrEqual(started - 60_000);
      expect(at).toBeLessThanOrEqual(finished + 60_000);
    }
    // Spot checks of the model against SPEC by hand, so the model itself is not trusted blindly.
    expect(items[4]).toMatchObject({ type: 'spend', points: -1100, breakdown: [{ payer: 'C', points: -1000 }, { payer: 'A', points: -100 }] });
    expect(items[9]).toMatchObject({ type: 'spend', points: -60, breakdown: [{ payer: 'B', points: -50 }, { payer: 'E', points: -10 }] });
    expect(items.find((i) => i.payer === 'A' && i.points === 300).remaining).toBe(0);
    expect(items.find((i) => i.payer === 'A' && i.points === -100)).not.toHaveProperty('remaining');

    const balances = await balance(user);
    expect(balances.body).toEqual(model.balanceObject());
    expect(balances.body).toEqual({ A: 5, B: 0, C: 0, D: 50, E: 0 });
    expectLedgerMatchesBalance(items, balances.body);
  });

  it('answers {"items":[],"nextCursor":null} for a user with no records (refusals record nothing)', async () => {
    const user = newUser('ledger');
    const empty = await page(user);
    expect(empty.status).toBe(200);
    expect(empty.text).toBe('{"items":[],"nextCursor":null}');
    expectProblem(await spend(user, 1), 400, 'INSUFFICIENT_POINTS');
    expectProblem(await add(user, 'P', -1, '2022-01-01T00:00:00Z'), 400, 'INSUFFICIENT_PAYER_POINTS');
    expectProblem(await call('POST', `/users/${user}/add`, { payer: 'P', points: 0, timestamp: '2022-01-01T00:00:00Z' }), 400, 'VALIDATION_FAILED');
    for (const query of ['', 'limit=1', 'limit=1000']) expect((await page(user, query)).text).toBe('{"items":[],"nextCursor":null}');
  });

  it('refuses a limit outside 1-1000 or not an integer with 400 VALIDATION_FAILED', async () => {
    const user = newUser('ledger');
    expect((await add(user, 'P', 1, '2022-01-01T00:00:00Z')).status).toBe(200);
    for (const limit of ['0', '1001', '-1', 'abc', '1.5', '', '1e2']) expectProblem(await page(user, `limit=${limit}`), 400, 'VALIDATION_FAILED');
    for (const limit of ['1', '1000']) expect((await page(user, `limit=${limit}`)).body.items).toHaveLength(1);
  });
});

describe('pagination of a 60-record ledger', () => {
  const user = newUser('pages');
  const model = new FifoModel();
  const PAYERS = ['ZED', 'alpha', 'Mid', 'ünï'];
  let full: any[];

  beforeAll(async () => {
    for (let i = 0; i < 60; i++) {
      if (i % 6 === 5) await spendBoth(model, user, 7 + (i % 5));
      else if (i % 10 === 8) await addBoth(model, user, PAYERS[i % 4]!, -2, isoAfter('2022-06-01T00:00:00Z', i));
      // Timestamps run backwards and forwards, so arrival order and timestamp order differ.
      else await addBoth(model, user, PAYERS[i % 4]!, 5 + i, isoAfter('2022-01-01T00:00:00Z', ((i * 37) % 61) * 3600));
    }
    const answer = await page(user, 'limit=1000');
    expect(answer.status).toBe(200);
    expect(answer.body.nextCursor).toBeNull();
    full = answer.body.items;
  }, 120_000);

  it('the whole ledger is the model’s ledger and satisfies the balance invariants', async () => {
    expect(full).toHaveLength(60);
    expectWellFormed(full);
    expect(comparable(full)).toEqual(model.ledger());
    const balances = await balance(user);
    expect(balances.body).toEqual(model.balanceObject());
    expectLedgerMatchesBalance(full, balances.body);
  });

  it.each([
    [1, 60],
    [7, 9],
    [59, 2],
    [60, 1],
    [1000, 1],
  ])('pages of %i cover every record once, in order (%i pages)', async (limit, pages) => {
    const result = await allPages(user, limit);
    expect(result.items).toEqual(full);
    expect(result.pages).toBe(pages);
  });

  it('records added while paging show up once, after the ones already seen', async () => {
    const other = newUser('pages');
    const m = new FifoModel();
    for (let i = 0; i < 10; i++) await addBoth(m, other, 'P', 1 + i, isoAfter('2022-01-01T00:00:00Z', -i * 60));
    const first = await page(other, 'limit=4');
    expect(first.body.items).toHaveLength(4);
    await spendBoth(m, other, 3);
    await addBoth(m, other, 'Q', 9, '2021-01-01T00:00:00Z');
    const rest: any[] = [];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const next = await page(other, `limit=4&cursor=${encodeURIComponent(cursor)}`);
      expect(next.status).toBe(200);
      rest.push(...next.body.items);
      cursor = next.body.nextCursor;
    }
    const seen = [...first.body.items, ...rest];
    expect(comparable(seen.slice(4))).toEqual(m.ledger().slice(4));
    expect(seen.map((i) => i.id)).toEqual((await ledger(other)).map((i) => i.id));
  });
});

describe('default page size', () => {
  it('is 100: 105 records come as a page of 100 and a page of 5', async () => {
    const user = newUser('default-limit');
    const added: string[] = [];
    for (let batch = 0; batch < 21; batch++) {
      const answers = await Promise.all(Array.from({ length: 5 }, (_, j) => add(user, `P${j}`, 1 + batch, isoAfter('2022-01-01T00:00:00Z', batch * 5 + j))));
      for (const a of answers) {
        expect(a.status).toBe(200);
        added.push(a.body.id);
      }
    }
    const first = await page(user);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(100);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await page(user, `cursor=${encodeURIComponent(first.body.nextCursor!)}`);
    expect(second.status).toBe(200);
    expect(second.body.items).toHaveLength(5);
    expect(second.body.nextCursor).toBeNull();
    const items = [...first.body.items, ...second.body.items];
    expectWellFormed(items);
    expect(new Set(items.map((i) => i.id))).toEqual(new Set(added));
    expect(items).toEqual(await ledger(user));
    // Batches were sent one after another: arrival order keeps them apart.
    const batchOf = (item: any) => item.points - 1;
    for (let i = 1; i < items.length; i++) expect(batchOf(items[i])).toBeGreaterThanOrEqual(batchOf(items[i - 1]));
    expectLedgerMatchesBalance(items, (await balance(user)).body);
  });
});

describe('cursors', () => {
  let a: string;
  let b: string;
  let cursorA: string;

  beforeAll(async () => {
    a = newUser('cursor');
    b = newUser('cursor');
    for (let i = 0; i < 3; i++) {
      expect((await add(a, 'P', 1 + i, isoAfter('2022-01-01T00:00:00Z', i))).status).toBe(200);
      expect((await add(b, 'P', 1 + i, isoAfter('2022-01-01T00:00:00Z', i))).status).toBe(200);
    }
    const first = await page(a, 'limit=1');
    expect(first.status).toBe(200);
    cursorA = first.body.nextCursor!;
    expect(typeof cursorA).toBe('string');
    expect((await page(a, `limit=1&cursor=${encodeURIComponent(cursorA)}`)).status).toBe(200);
  });

  it('refuses a cursor of user A on user B with 400', async () => {
    expectProblem(await page(b, `limit=1&cursor=${encodeURIComponent(cursorA)}`), 400, 'VALIDATION_FAILED');
    expectProblem(await page(b, `cursor=${encodeURIComponent(cursorA)}`), 400, 'VALIDATION_FAILED');
    expectProblem(await call('GET', `/transactions?cursor=${encodeURIComponent(cursorA)}`), 400, 'VALIDATION_FAILED');
    expect((await page(b, 'limit=1')).status).toBe(200);
  });

  it('refuses a tampered cursor (any one character changed) with 400', async () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    const positions = new Set([0, 1, Math.floor(cursorA.length / 3), Math.floor(cursorA.length / 2), cursorA.indexOf('.'), cursorA.length - 2, cursorA.length - 1]);
    for (const at of positions) {
      if (at < 0) continue;
      const original = cursorA[at]!;
      const replacement = ALPHABET[(ALPHABET.indexOf(original) + 1) % ALPHABET.length] ?? 'A';
      const tampered = cursorA.slice(0, at) + replacement + cursorA.slice(at + 1);
      expect(tampered).not.toBe(cursorA);
      expectProblem(await page(a, `limit=1&cursor=${encodeURIComponent(tampered)}`), 400, 'VALIDATION_FAILED');
    }
    for (const garbage of ['x', '.', 'a.b', `${cursorA}.x`, cursorA.slice(0, -1), `${cursorA}A`, 'x'.repeat(600), '%00', '{}']) {
      expectProblem(await page(a, `limit=1&cursor=${encodeURIComponent(garbage)}`), 400, 'VALIDATION_FAILED');
    }
  });
});
