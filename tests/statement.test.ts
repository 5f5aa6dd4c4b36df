// The pure parts of the events pipeline (lib/domain/statement.ts, lib/domain/feed.ts): a statement
// from counters as the store returns them (any order, a part per shard and day), and the shard of a user.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEED_SHARDS, feedShard } from '../lib/domain/feed.js';
import { COUNTERS, outstandingOf, statementOf, sumCounters, zeroCounters, type Counters } from '../lib/domain/statement.js';

const counters = fc.record(Object.fromEntries(COUNTERS.map((c) => [c, fc.nat(1000)])) as Record<keyof Counters, fc.Arbitrary<number>>);
const day = fc.integer({ min: 1, max: 28 }).map((d) => `2024-02-${String(d).padStart(2, '0')}`);

describe('statementOf', () => {
  it('sums the parts of each day of the range, lists only days with an event, in date order, and totals them', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ date: day, counters }), { maxLength: 40 }), day, day, counters, (parts, a, b, allTime) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const sheet = statementOf('P', from, to, '2024-03-01T00:00:00.000Z', parts, allTime);
        const inRange = parts.filter((p) => p.date >= from && p.date <= to);
        const expectedDays = [...new Set(inRange.map((p) => p.date))]
          .sort()
          .map((date) => ({ date, ...sumCounters(inRange.filter((p) => p.date === date).map((p) => p.counters)) }))
          .filter((d) => COUNTERS.some((c) => d[c] !== 0));
        expect(sheet.days).toEqual(expectedDays);
        expect(sheet.totals).toEqual(sumCounters(inRange.map((p) => p.counters)));
        expect(sheet.outstanding).toBe(allTime.added - allTime.deducted - allTime.spent + allTime.reversed - allTime.expired);
        expect(Object.keys(sheet)).toEqual(['payer', 'from', 'to', 'asOf', 'days', 'totals', 'outstanding']);
      }),
    );
  });

  it('is zeros and no days for a payer with no events', () => {
    expect(statementOf('P', '2024-01-01', '2024-01-31', 'x', [], zeroCounters())).toEqual({
      payer: 'P',
      from: '2024-01-01',
      to: '2024-01-31',
      asOf: 'x',
      days: [],
      totals: zeroCounters(),
      outstanding: 0,
    });
    expect(outstandingOf(zeroCounters())).toBe(0);
  });
});

describe('feedShard', () => {
  it('puts a user in one shard, always the same, and spreads users over all of them', () => {
    const users = Array.from({ length: 3200 }, (_, i) => `user-${i}`);
    const counts = new Array<number>(FEED_SHARDS).fill(0);
    for (const user of users) {
      const shard = feedShard(user);
      expect(shard).toBe(feedShard(user));
      counts[shard]! += 1;
    }
    // 100 expected per shard: none empty, none more than twice its share.
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan(200);
  });
});
