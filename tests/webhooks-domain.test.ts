// Webhooks without a database: Standard Webhooks signatures (checked with the `standardwebhooks`
// package a partner would use), secret rotation, which URLs a stage and npm start accept, the retry
// schedule, and which subscription receives which event.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, eventsOf } from '../lib/domain/events.js';
import { DEFAULT_RETRY_SCHEDULE, outcomeOf, parseRetrySchedule } from '../lib/domain/webhooks/schedule.js';
import { createWebhookBodySchema } from '../lib/domain/webhooks/schemas.js';
import { ROTATION_OVERLAP_MS, newSecret, rotate, signatureHeader, signingSecrets } from '../lib/domain/webhooks/signing.js';
import { deliveryIdOf, matches, newSubscription } from '../lib/domain/webhooks/subscriptions.js';
import { isPublicAddress, refusalOf, targetMode } from '../lib/domain/webhooks/targets.js';

const body = JSON.stringify({ id: 'u.1-abcdef01.0', type: 'points.added' });

describe('signatures', () => {
  it('verify with the standardwebhooks package, and fail with another secret or body', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'u.1-abcdef01.0', 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader([secret], 'u.1-abcdef01.0', timestamp, body) };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('added', 'spent'), headers)).toThrow();
  });

  it('sign with both secrets for 24 hours after a rotation, then with the new one only', () => {
    const [old, fresh] = [newSecret(), newSecret()];
    const now = Date.now();
    const rotated = rotate([{ secret: old }], fresh, now);
    const during = signingSecrets(rotated, now + ROTATION_OVERLAP_MS - 1);
    expect(during).toEqual([fresh, old]);
    const timestamp = Math.floor(now / 1000);
    const header = signatureHeader(during, 'id-1', timestamp, body);
    expect(header.split(' ')).toHaveLength(2);
    for (const secret of [old, fresh]) {
      expect(new Webhook(secret).verify(body, { 'webhook-id': 'id-1', 'webhook-timestamp': String(timestamp), 'webhook-signature': header })).toBeTruthy();
    }
    expect(signingSecrets(rotated, now + ROTATION_OVERLAP_MS)).toEqual([fresh]);
    // A second rotation keeps the first old secret no longer than its own 24 hours.
    const again = rotate(rotated, newSecret(), now + 1000);
    expect(again.find((s) => s.secret === old)?.until).toBe(now + ROTATION_OVERLAP_MS);
  });
});

describe('targets', () => {
  it('knows public addresses from private, loopback, link-local, metadata and reserved ones', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8']) expect(isPublicAddress(ip), ip).toBe(true);
    for (const ip of ['10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '127.0.0.1', '127.1.2.3', '0.0.0.0', '169.254.169.254', '100.64.0.1', '224.0.0.1', '255.255.255.255',
      '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::a9fe:a9fe', '2001:db8::1', 'not-an-ip', '1.2.3']) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
  });

  it('in a stage: https:// to public hosts only', () => {
    for (const url of ['https://hooks.example.com/in', 'https://8.8.8.8/x', 'https://[2606:4700:4700::1111]/']) expect(refusalOf(url, 'stage'), url).toBeUndefined();
    for (const url of ['http://hooks.example.com/in', 'http://localhost:3000/', 'https://localhost/', 'https://127.0.0.1/', 'https://10.1.2.3/', 'https://169.254.169.254/latest/meta-data',
      'https://[::1]/', 'https://[fd00:ec2::254]/', 'https://intranet/', 'ftp://example.com/', 'not a url', 'https://user:pw@example.com/']) {
      expect(refusalOf(url, 'stage'), url).toBeDefined();
    }
  });

  it('under npm start: also http://localhost, 127.0.0.1 and [::1], and nothing else on http://', () => {
    for (const url of ['http://localhost:3000/hook', 'http://127.0.0.1:9/x', 'http://[::1]:8080/', 'https://hooks.example.com/']) expect(refusalOf(url, 'local'), url).toBeUndefined();
    for (const url of ['http://hooks.example.com/', 'http://10.0.0.2/', 'http://127.0.0.2/', 'https://192.168.0.1/', 'http://0.0.0.0:3000/']) expect(refusalOf(url, 'local'), url).toBeDefined();
  });

  it('is local only where serverless-offline runs the function (IS_OFFLINE)', () => {
    expect(targetMode({ IS_OFFLINE: 'true' })).toBe('local');
    expect(targetMode({})).toBe('stage');
  });

  it('refuses URLs over 2048 characters', () => {
    const url = `https://example.com/${'a'.repeat(2048 - 20)}`;
    expect(url).toHaveLength(2048);
    expect(createWebhookBodySchema.safeParse({ url }).success).toBe(true);
    expect(createWebhookBodySchema.safeParse({ url: `${url}a` }).success).toBe(false);
  });
});

describe('the retry schedule', () => {
  it('defaults to at least 24 hours, whatever the jitter', () => {
    expect(parseRetrySchedule(undefined)).toBe(DEFAULT_RETRY_SCHEDULE);
    expect(parseRetrySchedule('')).toBe(DEFAULT_RETRY_SCHEDULE);
    const shortest = DEFAULT_RETRY_SCHEDULE.map((_, i) => outcomeOf(500, i + 1, DEFAULT_RETRY_SCHEDULE, false, () => 0));
    const total = shortest.reduce((sum, o) => sum + (o.kind === 'retry' ? o.delayMs : 0), 0);
    expect(total).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  });

  it('makes N + 1 attempts for N delays, then fails; 2xx delivers, 410 is gone, an operator retry is one attempt', () => {
    const schedule = parseRetrySchedule('1, 2,3');
    expect(schedule).toEqual([1, 2, 3]);
    expect(outcomeOf(null, 1, schedule, false, () => 0.5)).toEqual({ kind: 'retry', delayMs: 1000 });
    expect(outcomeOf(503, 3, schedule, false, () => 0.5)).toEqual({ kind: 'retry', delayMs: 3000 });
    expect(outcomeOf(500, 4, schedule, false)).toEqual({ kind: 'failed' });
    expect(outcomeOf(204, 4, schedule, false)).toEqual({ kind: 'delivered' });
    expect(outcomeOf(410, 1, schedule, false)).toEqual({ kind: 'gone' });
    expect(outcomeOf(301, 1, schedule, false, () => 0.5)).toEqual({ kind: 'retry', delayMs: 1000 });
    expect(outcomeOf(500, 5, schedule, true)).toEqual({ kind: 'failed' });
    expect(() => parseRetrySchedule('1,x')).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
  });
});

describe('matching', () => {
  const created = new Date('2026-12-05T10:00:00.000Z');
  const record = (payers: string[], createdAt = '2026-12-05T10:00:01.000Z') =>
    eventsOf({
      userId: 'alice',
      seq: 3,
      createdAt,
      item: { id: '3-0000abcd', type: 'spend', points: -payers.length, timestamp: createdAt, breakdown: payers.map((payer) => ({ payer, points: -1 })), reversed: 0 },
    } as never);

  it('by payer, type and creation time', () => {
    const all = newSubscription('http://localhost/', undefined, null, newSecret(), created);
    const dannon = newSubscription('http://localhost/', ['points.spent'], 'DANNON', newSecret(), created);
    const addsOnly = newSubscription('http://localhost/', ['points.added'], null, newSecret(), created);
    expect(all.types).toEqual([...EVENT_TYPES]);
    const events = record(['DANNON', 'UNILEVER']);
    expect(events.filter((e) => matches(all, e))).toHaveLength(2);
    expect(events.filter((e) => matches(dannon, e)).map((e) => e.payer)).toEqual(['DANNON']);
    expect(events.filter((e) => matches(addsOnly, e))).toEqual([]);
    expect(record(['DANNON'], '2026-12-05T09:59:59.999Z').filter((e) => matches(all, e))).toEqual([]);
    expect(matches({ ...all, status: 'disabled' }, events[0]!)).toBe(false);
  });

  it('names one delivery per (subscription, event), the same when the event is seen again', () => {
    const [event] = record(['DANNON']);
    expect(deliveryIdOf('wh_a', event!)).toBe(deliveryIdOf('wh_a', { ...event! }));
    expect(deliveryIdOf('wh_a', event!)).not.toBe(deliveryIdOf('wh_b', event!));
  });
});
