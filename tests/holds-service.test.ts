// Holds and pending points in the service itself, on DynamoDB Local, with a clock the test moves
// (PointsService's `now`): every rule of SPEC "Holds and pending points" checked without waiting.
import { describe, expect, it } from 'vitest';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { captureBodySchema, holdBodySchema } from '../lib/domain/schemas/hold.js';
import { reverseBodySchema } from '../lib/domain/schemas/reverse.js';
import { spendBodySchema } from '../lib/domain/schemas/spend.js';
import { PointsService } from '../lib/service/service.js';
import { ledgerSums } from './support/fifo-model.js';
import { newUser } from './support/http.js';
import { makeStore } from './support/store.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString().replace('.000Z', 'Z');
const DAY = 86_400;
/** A time the service recorded by its clock (toISOString, with milliseconds). */
const clockAt = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function setup() {
  const clock = { now: T0 };
  const service = new PointsService(makeStore(), { now: () => clock.now });
  const user = newUser('hs');
  const parse = async (reply: Promise<{ body: string }>) => JSON.parse((await reply).body);
  const add = (payer: string, points: number, second: number, extra: { expiresIn?: number; availableIn?: number } = {}) =>
    parse(
      service.add(
        user,
        addBodySchema.parse({
          payer,
          points,
          timestamp: at(second),
          ...(extra.expiresIn ? { expiresAt: at(second + extra.expiresIn) } : {}),
          ...(extra.availableIn ? { availableAt: at(second + extra.availableIn) } : {}),
        }),
      ),
    );
  const spend = (points: number) => parse(service.spend(user, spendBodySchema.parse({ points })));
  const hold = (points: number, expiresAt?: string) => parse(service.hold(user, holdBodySchema.parse({ points, ...(expiresAt ? { expiresAt } : {}) })));
  const capture = (holdId: string, points?: number) => parse(service.capture(user, holdId, captureBodySchema.parse(points === undefined ? {} : { points })));
  const release = (holdId: string) => parse(service.release(user, holdId));
  const reverse = (spendId: string, points?: number) => parse(service.reverse(user, spendId, reverseBodySchema.parse(points === undefined ? {} : { points })));
  const balance = async () => Object.fromEntries(await service.balance(user));
  const detail = async () => Object.fromEntries(await service.balanceDetail(user));
  const ledger = async () => (await service.transactions(user, 0, 1000)).items.map((row) => row.item);
  return { clock, service, user, add, spend, hold, capture, release, reverse, balance, detail, ledger };
}

describe('holds', () => {
  it('hold, partial capture, reversal of the capture; ledger and balances agree', async () => {
    const s = setup();
    await s.add('A', 100, 0);
    await s.add('B', 100, 1);
    await s.add('C', 100, 2);
    const hold = await s.hold(250);
    expect(hold).toEqual({
      id: expect.any(String),
      type: 'hold',
      points: -250,
      timestamp: clockAt(0),
      expiresAt: clockAt(7 * DAY),
      breakdown: [
        { payer: 'A', points: -100 },
        { payer: 'B', points: -100 },
        { payer: 'C', points: -50 },
      ],
      status: 'held',
      captured: 0,
    });
    expect(await s.balance()).toEqual({ A: 0, B: 0, C: 50 });
    expect(await s.detail()).toEqual({ A: { available: 0, held: 100, pending: 0 }, B: { available: 0, held: 100, pending: 0 }, C: { available: 50, held: 50, pending: 0 } });
    const spend = await s.capture(hold.id, 120);
    expect(spend).toEqual({ id: expect.any(String), type: 'spend', points: -120, timestamp: clockAt(0), breakdown: [{ payer: 'A', points: -100 }, { payer: 'B', points: -20 }], reversed: 0, hold: hold.id });
    expect(await s.balance()).toEqual({ A: 0, B: 80, C: 100 });
    const items = await s.ledger();
    expect(items.slice(3)).toEqual([
      { ...hold, status: 'captured', captured: 120 },
      spend,
      { id: expect.any(String), type: 'release', hold: hold.id, points: 130, timestamp: clockAt(0), breakdown: [{ payer: 'C', points: 50 }, { payer: 'B', points: 80 }] },
    ]);
    await expect(s.capture(hold.id)).rejects.toMatchObject({ code: 'HOLD_NOT_ACTIVE' });
    await expect(s.release(hold.id)).rejects.toMatchObject({ code: 'HOLD_NOT_ACTIVE' });
    const reversal = await s.reverse(spend.id, 30);
    expect(reversal.breakdown).toEqual([{ payer: 'B', points: 20 }, { payer: 'A', points: 10 }]);
    expect(await s.balance()).toEqual({ A: 10, B: 100, C: 100 });
    expect(ledgerSums(await s.ledger(), s.clock.now)).toEqual(await s.balance());
  });

  it('refusals: too large, too much captured, unknown ids, out-of-bounds expiry', async () => {
    const s = setup();
    await s.add('A', 10, 0);
    await expect(s.hold(11)).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    await expect(s.hold(1, at(0))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(s.hold(1, at(31 * DAY + 1))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const hold = await s.hold(5, at(31 * DAY));
    await expect(s.capture(hold.id, 6)).rejects.toMatchObject({ code: 'EXCEEDS_HOLD' });
    await expect(s.capture('1-00000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(s.release('nonsense')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await s.release(hold.id)).toMatchObject({ type: 'release', points: 5, breakdown: [{ payer: 'A', points: 5 }] });
    expect(await s.balance()).toEqual({ A: 10 });
  });

  it('a hold expires by itself at its expiresAt; points given back to an expired lot expire at once', async () => {
    const s = setup();
    await s.add('A', 100, 0, { expiresIn: 100 });
    await s.add('B', 100, 1);
    const hold = await s.hold(150, at(200));
    s.clock.now = T0 + 300_000;
    expect(await s.balance()).toEqual({ A: 0, B: 100 });
    const items = await s.ledger();
    expect(items.slice(2).map((i) => [i.type, i.points, i.timestamp])).toEqual([
      ['hold', -150, clockAt(0)],
      ['release', 150, at(200)],
      ['expire', -100, at(100)],
    ]);
    expect(items[2]).toMatchObject({ status: 'expired', captured: 0 });
    expect(items[3]).toMatchObject({ hold: hold.id, expired: true, breakdown: [{ payer: 'B', points: 50 }, { payer: 'A', points: 100 }] });
    await expect(s.capture(hold.id)).rejects.toMatchObject({ code: 'HOLD_NOT_ACTIVE' });
    expect(ledgerSums(items, s.clock.now)).toEqual(await s.balance());
  });
});

describe('large holds', () => {
  it('a hold of 250 lots expires by itself across several transactions; points given back to lots expired meanwhile expire at once', async () => {
    const s = setup();
    await Promise.all(Array.from({ length: 250 }, (_, i) => s.add(['A', 'B', 'C'][i % 3]!, 2, i, i % 5 === 0 ? { expiresIn: 1000 } : {})));
    await s.add('D', 7, 10_000);
    const hold = await s.hold(500, at(2000));
    expect(await s.balance()).toEqual({ A: 0, B: 0, C: 0, D: 7 });
    s.clock.now = T0 + 5_000_000;
    const balance = await s.balance();
    // Every fifth lot expired meanwhile (first its nothing, then the 2 points given back).
    expect(Object.values(balance).reduce((a, b) => a + b, 0)).toBe(400 + 7);
    const items = await s.ledger();
    const release = items.find((i) => i.type === 'release')!;
    expect(release).toMatchObject({ hold: hold.id, points: 500, timestamp: at(2000), expired: true });
    expect(items.indexOf(release)).toBe(252);
    expect(items.slice(253).every((i) => i.type === 'expire' && i.points === -2)).toBe(true);
    expect(items.slice(253)).toHaveLength(50);
    expect(items.filter((i) => i.type === 'add' && i.remaining === 2)).toHaveLength(200);
    expect(ledgerSums(items, s.clock.now)).toEqual(balance);
    expect(await s.spend(407)).toHaveLength(4);
  });

  it('120 pending lots become available at once, in order, before anything after them', async () => {
    const s = setup();
    await Promise.all(Array.from({ length: 120 }, (_, i) => s.add(i % 2 ? 'A' : 'B', 1, i, { availableIn: 1000 - i })));
    expect(await s.detail()).toEqual({ A: { available: 0, held: 0, pending: 60 }, B: { available: 0, held: 0, pending: 60 } });
    s.clock.now = T0 + 2_000_000;
    expect(await s.balance()).toEqual({ A: 60, B: 60 });
    expect(await s.spend(3)).toEqual([{ payer: 'B', points: -2 }, { payer: 'A', points: -1 }]);
  });
});

describe('pending points', () => {
  it('are in no balance and not spendable until availableAt, then ordinary lots by timestamp', async () => {
    const s = setup();
    const pending = await s.add('A', 100, -50, { availableIn: 100 }); // available at second 50
    expect(pending).toMatchObject({ remaining: 100, availableAt: at(50) });
    await s.add('B', 10, 0);
    expect(await s.balance()).toEqual({ A: 0, B: 10 });
    expect(await s.detail()).toEqual({ A: { available: 0, held: 0, pending: 100 }, B: { available: 10, held: 0, pending: 0 } });
    await expect(s.spend(11)).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    await expect(s.hold(11)).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    await expect(s.add('A', -1, 1)).rejects.toMatchObject({ code: 'INSUFFICIENT_PAYER_POINTS' });
    s.clock.now = T0 + 50_000;
    expect(await s.balance()).toEqual({ A: 100, B: 10 });
    // Older by timestamp: taken first.
    expect(await s.spend(101)).toEqual([{ payer: 'A', points: -100 }, { payer: 'B', points: -1 }]);
    const items = await s.ledger();
    expect(items[0]).toMatchObject({ type: 'add', remaining: 0, availableAt: at(50) });
    expect(items.map((i) => i.type)).toEqual(['add', 'add', 'spend']);
  });

  it('a pending lot with an expiry becomes available, then expires', async () => {
    const s = setup();
    await s.add('A', 100, 0, { availableIn: 10, expiresIn: 20 });
    expect(await s.balance()).toEqual({ A: 0 });
    s.clock.now = T0 + 15_000;
    expect(await s.balance()).toEqual({ A: 100 });
    s.clock.now = T0 + 25_000;
    expect(await s.balance()).toEqual({ A: 0 });
    expect((await s.ledger()).map((i) => [i.type, i.points])).toEqual([['add', 100], ['expire', -100]]);
  });
});
