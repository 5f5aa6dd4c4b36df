// What the feeds and statements must say, from what the users' ledgers and balances say.
import { expect } from 'vitest';
import { eventsOf, type PointsEvent } from '../../lib/domain/events.js';
import { COUNTERS, countOf, zeroCounters, type Counters } from '../../lib/domain/statement.js';
import { eventsClient, sleep } from './events.js';

/** Every event the users' ledgers make, by payer (createdAt left out: the ledger does not show it). */
export function expectedEvents(ledgers: Map<string, any[]>): Map<string, Omit<PointsEvent, 'createdAt'>[]> {
  const byPayer = new Map<string, Omit<PointsEvent, 'createdAt'>[]>();
  for (const [userId, items] of ledgers) {
    items.forEach((item, i) => {
      for (const { createdAt: _createdAt, ...event } of eventsOf({ userId, seq: i + 1, createdAt: '', item })) {
        byPayer.set(event.payer, [...(byPayer.get(event.payer) ?? []), event]);
      }
    });
  }
  return byPayer;
}

const withoutCreatedAt = ({ createdAt: _createdAt, ...event }: PointsEvent) => event;

/**
 * Reads each payer's feed until it holds as many events as expected (the consumer catches up
 * within seconds), then checks: each expected event exactly once, nothing else, and each user's
 * events in sequence order.
 */
export async function expectFeeds(expected: Map<string, Omit<PointsEvent, 'createdAt'>[]>, timeoutMs = 90_000, { readFeed } = eventsClient()): Promise<Map<string, PointsEvent[]>> {
  const feeds = new Map<string, PointsEvent[]>();
  for (const [payer, events] of expected) {
    const deadline = Date.now() + timeoutMs;
    const items: PointsEvent[] = [];
    let cursor: string | undefined;
    for (;;) {
      const read = await readFeed(payer, cursor);
      items.push(...read.items);
      cursor = read.cursor;
      if (items.length >= events.length || Date.now() > deadline) break;
      await sleep(250);
    }
    // Nothing more arrives once all arrived: a duplicate would show here.
    await sleep(500);
    items.push(...(await readFeed(payer, cursor)).items);
    const ids = items.map((event) => event.id);
    expect(new Set(ids).size, `${payer}: no event twice`).toBe(ids.length);
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect([...items].map(withoutCreatedAt).sort(byId), `${payer}: the events its users' ledgers make`).toEqual([...events].sort(byId));
    const lastSequence = new Map<string, number>();
    for (const event of items) {
      expect(event.sequence, `${payer}: ${event.userId}'s events in sequence order`).toBeGreaterThan(lastSequence.get(event.userId) ?? 0);
      lastSequence.set(event.userId, event.sequence);
    }
    feeds.set(payer, items);
  }
  return feeds;
}

/** The statement of each payer over the days of its events equals the sums of the feed, and outstanding the balances. */
export async function expectStatements(feeds: Map<string, PointsEvent[]>, balances: Map<string, Record<string, number>>, { statement } = eventsClient()): Promise<void> {
  for (const [payer, events] of feeds) {
    const days = new Map<string, Counters>();
    for (const event of events) {
      const day = event.createdAt.slice(0, 10);
      const counters = days.get(day) ?? zeroCounters();
      const { counter, points } = countOf(event);
      counters[counter] += points;
      days.set(day, counters);
    }
    const dates = [...days.keys()].sort();
    const sheet = await statement(payer, dates[0]!, dates.at(-1)!);
    expect(sheet.days, payer).toEqual(dates.map((date) => ({ date, ...days.get(date)! })));
    const totals = zeroCounters();
    for (const counters of days.values()) for (const c of COUNTERS) totals[c] += counters[c];
    expect(sheet.totals, payer).toEqual(totals);
    let held = 0;
    for (const balance of balances.values()) held += balance[payer] ?? 0;
    expect(sheet.outstanding, `${payer}: outstanding is what its users hold`).toBe(held);
  }
}
