// SPEC "Events and statements" for the items of "Holds and pending points": a hold makes
// points.held events (negative), a release points.released (positive), a capture points.spent
// with its hold, an add with availableAt repeats it.
import { describe, expect, it } from 'vitest';
import { eventsOf } from '../lib/domain/events.js';

const base = { userId: 'u1', seq: 7, createdAt: '2030-01-01T00:00:00.000Z' };

describe('events of holds, captures, releases and pending adds', () => {
  it('one event per payer, signed as in the item, with the references SPEC lists', () => {
    const breakdown = [
      { payer: 'A', points: -100 },
      { payer: 'B', points: -50 },
    ];
    const hold = eventsOf({ ...base, item: { id: '7-aaaaaaaa', type: 'hold', points: -150, timestamp: base.createdAt, expiresAt: '2030-01-08T00:00:00.000Z', breakdown, status: 'held', captured: 0 } });
    expect(hold.map((e) => [e.type, e.payer, e.points])).toEqual([
      ['points.held', 'A', -100],
      ['points.held', 'B', -50],
    ]);
    expect(hold[0]!.transaction).toEqual({ id: '7-aaaaaaaa', type: 'hold', timestamp: base.createdAt });
    const spent = eventsOf({ ...base, seq: 8, item: { id: '8-bbbbbbbb', type: 'spend', points: -100, timestamp: base.createdAt, breakdown: [breakdown[0]!], reversed: 0, hold: '7-aaaaaaaa' } });
    expect(spent).toEqual([expect.objectContaining({ type: 'points.spent', payer: 'A', points: -100, sequence: 8, transaction: { id: '8-bbbbbbbb', type: 'spend', timestamp: base.createdAt, hold: '7-aaaaaaaa' } })]);
    const released = eventsOf({ ...base, seq: 9, item: { id: '9-cccccccc', type: 'release', hold: '7-aaaaaaaa', points: 50, timestamp: base.createdAt, breakdown: [{ payer: 'B', points: 50 }], expired: true } });
    expect(released).toEqual([expect.objectContaining({ id: 'u1.9-cccccccc.0', type: 'points.released', payer: 'B', points: 50, transaction: { id: '9-cccccccc', type: 'release', timestamp: base.createdAt, hold: '7-aaaaaaaa' } })]);
    const added = eventsOf({ ...base, item: { id: '7-dddddddd', type: 'add', payer: 'P', points: 5, timestamp: '2030-01-01T00:00:00Z', remaining: 5, availableAt: '2030-02-01T00:00:00Z' } });
    expect(added[0]).toMatchObject({ type: 'points.added', transaction: { availableAt: '2030-02-01T00:00:00Z' } });
  });
});
