// GET /events paging and GET /statements input (SPEC "Events and statements"): every limit from 1
// to 1000 pages the same events; a kept cursor sees every event exactly once while writers go on;
// a cursor belongs to its payer; bad queries are 400 and the empty payer's statement is zeros.
import { describe, expect, it } from 'vitest';
import { add, call, ledger, newUser, spend } from './support/http.js';
import { expectedEvents } from './support/events-check.js';
import { feedPage, feedUntil, newPayer, readFeed, sleep, statement } from './support/events.js';

const at = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString();

describe('GET /events', () => {
  it('pages the same events with any limit, and a kept cursor sees each event once while writes go on', async () => {
    const payer = newPayer('PAGE');
    const other = newPayer('OTHER');
    const users = Array.from({ length: 6 }, () => newUser('p'));
    let writing = true;
    let written = 0;
    const writer = (async () => {
      for (let i = 0; i < 60; i++) {
        const user = users[i % users.length]!;
        await add(user, i % 4 === 0 ? other : payer, 10 + i, at(i));
        if (i % 5 === 4) await spend(user, 7);
        written += 1;
      }
      writing = false;
    })();
    // Readers with small limits keep their cursor while events arrive.
    const readers = [1, 2, 3, 7].map(async (limit) => {
      const seen: any[] = [];
      let cursor: string | undefined;
      while (writing || seen.length === 0) {
        const page = await feedPage(payer, cursor, limit);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        expect(typeof page.nextCursor).toBe('string');
        seen.push(...page.items);
        cursor = page.nextCursor;
        if (!page.hasMore) await sleep(100);
      }
      return { seen, cursor: cursor! };
    });
    await writer;
    expect(written).toBe(60);
    // The events the users' ledgers make for this payer: the feed is complete once it holds them all.
    const expected = expectedEvents(new Map(await Promise.all(users.map(async (user) => [user, await ledger(user)] as const)))).get(payer) ?? [];
    expect(expected.filter((e) => e.type === 'points.added')).toHaveLength(45);
    await feedUntil(payer, (items) => items.length >= expected.length);
    const all = (await readFeed(payer)).items;
    expect(new Set(all.map((e) => e.id))).toEqual(new Set(expected.map((e) => e.id)));
    const read = await Promise.all(readers);
    for (const { seen, cursor } of read) {
      const rest = (await readFeed(payer, cursor)).items;
      const ids = [...seen, ...rest].map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids)).toEqual(new Set(all.map((e) => e.id)));
    }
    for (const limit of [1, 2, 5, 33, 999, 1000]) {
      expect((await readFeed(payer, undefined, limit)).items.map((e) => e.id)).toEqual(all.map((e) => e.id));
    }
    // Nothing of another payer; each user's events in sequence order.
    expect(all.every((e) => e.payer === payer)).toBe(true);
    for (const user of users) {
      const sequences = all.filter((e) => e.userId === user).map((e) => e.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    }
    // A cursor at the end gives nothing, with a cursor to keep.
    const end = await feedPage(payer, (await readFeed(payer)).cursor);
    expect(end).toMatchObject({ items: [], hasMore: false });
    expect(typeof end.nextCursor).toBe('string');
  }, 180_000);

  it('refuses another payer\'s cursor, an edited one, a missing payer and a bad limit with 400', async () => {
    const payer = newPayer('C');
    const { nextCursor } = await feedPage(payer);
    const bad = async (query: string) => {
      const answer = await call('GET', `/events?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
    };
    await bad(`payer=${encodeURIComponent(newPayer('D'))}&cursor=${encodeURIComponent(nextCursor)}`);
    await bad(`payer=${encodeURIComponent(payer)}&cursor=${encodeURIComponent(nextCursor.slice(1))}`);
    await bad(`payer=${encodeURIComponent(payer)}&cursor=x.y`);
    await bad('limit=10');
    await bad('payer=');
    await bad(`payer=${encodeURIComponent('a\u0001b')}`);
    await bad(`payer=${encodeURIComponent(payer)}&limit=0`);
    await bad(`payer=${encodeURIComponent(payer)}&limit=1001`);
  });
});

describe('GET /statements', () => {
  it('is zeros with no days for a payer with no events', async () => {
    const payer = newPayer('EMPTY');
    const sheet = await statement(payer, '2024-01-01', '2024-12-31');
    const zeros = { added: 0, deducted: 0, spent: 0, reversed: 0, expired: 0, held: 0, released: 0 };
    expect(sheet).toEqual({ payer, from: '2024-01-01', to: '2024-12-31', asOf: expect.any(String), days: [], totals: zeros, outstanding: 0 });
  });

  it('refuses a missing or invalid payer, from or to, from after to, and more than 366 days with 400', async () => {
    const payer = encodeURIComponent(newPayer('S'));
    for (const query of [
      'from=2024-01-01&to=2024-01-02',
      `payer=${payer}&to=2024-01-02`,
      `payer=${payer}&from=2024-01-01`,
      `payer=${payer}&from=2024-02-30&to=2024-03-01`,
      `payer=${payer}&from=2024-01-01T00:00:00Z&to=2024-01-02`,
      `payer=${payer}&from=2024-1-1&to=2024-01-02`,
      `payer=${payer}&from=2024-01-03&to=2024-01-02`,
      `payer=${payer}&from=2024-01-01&to=2025-01-01`,
    ]) {
      const answer = await call('GET', `/statements?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
    }
    // 366 days counting both ends is allowed (2024 is a leap year).
    expect((await call('GET', `/statements?payer=${payer}&from=2024-01-01&to=2024-12-31`)).status).toBe(200);
    expect((await call('GET', `/statements?payer=${payer}&from=2023-01-01&to=2024-01-01`)).status).toBe(200);
  });

  it('states an asOf that passes the last write once the consumer has caught up', async () => {
    const payer = newPayer('ASOF');
    const user = newUser('a');
    await add(user, payer, 40, at(1));
    const written = new Date().toISOString();
    const day = written.slice(0, 10);
    let sheet = await statement(payer, day, day);
    const deadline = Date.now() + 60_000;
    while (sheet.asOf < written && Date.now() < deadline) {
      await sleep(500);
      sheet = await statement(payer, day, day);
    }
    expect(sheet.asOf >= written).toBe(true);
    expect(sheet.outstanding).toBe(40);
    expect(sheet.totals.added).toBe(40);
  }, 90_000);
});
