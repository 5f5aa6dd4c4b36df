// SPEC "Errors" over real HTTP: every status and code a client can provoke, the problem+json
// shape of every refusal, and "a refusal changes nothing". Also /openapi.json and a table of
// odd inputs that must never be answered with a 5xx.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../lib/http/routes.js';
import { expectNoInternals, expectProblem, snapshot } from './support/expect.js';
import { add, apiUrl, balance, call, ledger, newUser, spend, type Answer } from './support/http.js';

const MAX = 9007199254740991; // 2^53 - 1, SPEC "Fields"
const LIMIT = 16384; // SPEC "Errors": 16384 bytes is still accepted
const TS = '2022-10-31T10:00:00Z';

/** Any request, byte for byte: raw bodies, any method, non-ASCII (latin1) header values. */
function raw(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer<any>> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const req = httpRequest(
      `${apiUrl()}${path}`,
      {
        method,
        headers: {
          ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, text, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const errorPaths = (answer: Answer<any>): string[] => (answer.body?.errors ?? []).map((e: { path: string }) => e.path);

/** A user with two payers and a spend in the ledger, so a refusal would have plenty to change. */
async function seededUser(label: string): Promise<string> {
  const user = newUser(label);
  expect((await add(user, 'SEED', 500, TS)).status).toBe(200);
  expect((await add(user, 'OTHER', 250, '2022-11-01T00:00:00Z')).status).toBe(200);
  expect((await spend(user, 100)).status).toBe(200);
  return user;
}

/** Runs a mutation that must be refused with (status, code), and checks it changed nothing. */
async function refused(user: string, status: number, code: string, send: () => Promise<Answer<any>>): Promise<Answer<any>> {
  const before = await snapshot(user);
  const answer = await send();
  expectProblem(answer, status, code);
  expect(await snapshot(user)).toEqual(before);
  return answer;
}

const addText = (user: string, body: string, headers?: Record<string, string>) => raw('POST', `/users/${user}/add`, body, headers);
const spendText = (user: string, body: string, headers?: Record<string, string>) => raw('POST', `/users/${user}/spend`, body, headers);
const addBody = (payer: unknown, points: unknown, timestamp: unknown) => JSON.stringify({ payer, points, timestamp });

describe('400 VALIDATION_FAILED: bodies', () => {
  it('refuses a body that is not JSON, empty, or not an object', async () => {
    const user = await seededUser('val');
    for (const route of ['add', 'spend']) {
      for (const body of ['{"points": 1', 'points=1', '{points: 1}', "{'points': 1}", '', 'null', '[]', '[{"points": 1}]', '"text"', '42', 'true']) {
        await refused(user, 400, 'VALIDATION_FAILED', () => raw('POST', `/users/${user}/${route}`, body));
      }
      // No body at all (no content-length) is the same as an empty one.
      await refused(user, 400, 'VALIDATION_FAILED', () => raw('POST', `/users/${user}/${route}`));
    }
  });

  it('refuses a body that is not UTF-8, as JSON or as binary, so two undecodable payers never become one', async () => {
    const user = await seededUser('val');
    const withPayer = (payerBytes: number[]) =>
      Buffer.concat([Buffer.from('{"payer":"'), Buffer.from(payerBytes), Buffer.from(`","points":1,"timestamp":"${TS}"}`)]);
    for (const payer of [[0xe9], [0xfc], [0x41, 0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      const answer = await refused(user, 400, 'VALIDATION_FAILED', () => raw('POST', `/users/${user}/add`, withPayer(payer), { 'content-type': 'application/json' }));
      expect(answer.body.detail).toMatch(/UTF-8/);
    }
    // The same name sent as UTF-8 is a payer like any other.
    expect((await raw('POST', `/users/${user}/add`, withPayer([0xc3, 0xa9]))).status).toBe(200);
    expect((await balance(user)).body).toMatchObject({ 'é': 1 });
  });

  it('refuses bodies that fail the schema, naming the field', async () => {
    const user = await seededUser('val');
    const cases: [string, string, string][] = [
      ['add', '{}', 'payer'],
      ['add', JSON.stringify({ points: 1, timestamp: TS }), 'payer'],
      ['add', JSON.stringify({ payer: 'A', timestamp: TS }), 'points'],
      ['add', JSON.stringify({ payer: 'A', points: 1 }), 'timestamp'],
      ['add', addBody(5, 1, TS), 'payer'],
      ['add', addBody(null, 1, TS), 'payer'],
      ['add', addBody(['A'], 1, TS), 'payer'],
      ['add', addBody('A', 1, 1667210400000), 'timestamp'],
      ['add', addBody('A', 1, null), 'timestamp'],
      ['spend', '{}', 'points'],
    ];
    for (const [route, body, field] of cases) {
      const answer = await refused(user, 400, 'VALIDATION_FAILED', () => raw('POST', `/users/${user}/${route}`, body));
      expect(errorPaths(answer), `${route} ${body}`).toContain(field);
    }
  });

  it('refuses unknown fields, even next to a valid body', async () => {
    const user = await seededUser('val');
    const a = await refused(user, 400, 'VALIDATION_FAILED', () => addText(user, JSON.stringify({ payer: 'A', points: 1, timestamp: TS, note: 'x' })));
    expect(errorPaths(a)).toContain('note');
    const s = await refused(user, 400, 'VALIDATION_FAILED', () => spendText(user, JSON.stringify({ points: 1, payer: 'SEED' })));
    expect(errorPaths(s)).toContain('payer');
    // A key that is special to JavaScript objects is still just an unknown field.
    const p = await refused(user, 400, 'VALIDATION_FAILED', () => spendText(user, '{"points": 1, "__proto__": {"points": 2}}'));
    expect(errorPaths(p)).toContain('__proto__');
  });

  it('refuses every points form SPEC lists, on add and on spend', async () => {
    const user = await seededUser('val');
    const neverValid = ['"100"', '"1"', '1.5', '-1.5', '1e400', '-1e400', 'true', 'false', 'null', '[1]', '{"n": 1}', '"1e3"'];
    for (const points of [...neverValid, '0', '-0', '0.0', '1e-400']) {
      const answer = await refused(user, 400, 'VALIDATION_FAILED', () => addText(user, `{"payer": "SEED", "points": ${points}, "timestamp": "${TS}"}`));
      expect(errorPaths(answer), `add points ${points}`).toContain('points');
    }
    for (const points of [...neverValid, '0', '-0', '-1', '-100', '-9007199254740991']) {
      const answer = await refused(user, 400, 'VALIDATION_FAILED', () => spendText(user, `{"points": ${points}}`));
      expect(errorPaths(answer), `spend points ${points}`).toContain('points');
    }
  });

  it('refuses payers that are empty, too long or hold control characters', async () => {
    const user = await seededUser('val');
    const bad = ['', 'x'.repeat(129), '😀'.repeat(129), 'a\u0000b', '\u0000', 'a\u001fb', '\u001f', 'a\u007fb', 'a\u0080b', 'a\u009fb', 'tab\there', 'new\nline'];
    for (const payer of bad) {
      const answer = await refused(user, 400, 'VALIDATION_FAILED', () => addText(user, addBody(payer, 10, TS)));
      expect(errorPaths(answer), JSON.stringify(payer)).toContain('payer');
    }
  });

  it('accepts payers at the edges: 128 characters (emoji count as one each), U+00A0, case and spaces kept', async () => {
    const user = newUser('payer');
    const payers = ['x'.repeat(128), '😀'.repeat(128), 'a\u00a0b', ' padded ', 'Dannon', 'DANNON', 'MILLER COORS', 'ДАННОН', '__proto__'];
    for (const [i, payer] of payers.entries()) {
      const answer = await add(user, payer, i + 1, TS);
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.payer).toBe(payer);
    }
    const balances = (await balance(user)).body;
    expect(Object.keys(balances).sort()).toEqual([...payers].sort());
    payers.forEach((payer, i) => expect(Object.getOwnPropertyDescriptor(balances, payer)?.value).toBe(i + 1));
  });

  it('refuses timestamps that are not RFC 3339 date-times naming a real instant', async () => {
    const user = await seededUser('val');
    const bad = [
      '2022-02-30T10:00:00Z', // no such day
      '2023-02-29T10:00:00Z', // not a leap year
      '1900-02-29T10:00:00Z', // century, not a leap year
      '2022-04-31T10:00:00Z',
      '2022-13-01T10:00:00Z',
      '2022-00-10T10:00:00Z',
      '2022-10-00T10:00:00Z',
      '2022-10-31T24:00:00Z', // hour 24
      '2022-10-31T25:00:00Z', // hour 25
      '2022-10-31T10:60:00Z', // minute 60
      '2022-10-31T10:00:60Z', // second 60
      '2022-10-31T10:00:00', // no offset
      '2022-10-31T10:00:00+0200', // offset without colon
      '2022-10-31T10:00:00+02', // offset without minutes
      '2022-10-31T10:00:00+24:00', // offset hour 24
      '2022-10-31T10:00:00+02:60',
      '2022-10-31t10:00:00Z', // lowercase t: SPEC spells the format with an uppercase T
      '2022-10-31T10:00:00z', // lowercase z
      '2022-10-31 10:00:00Z',
      '2022-10-31',
      '10:00:00Z',
      '2022-10-31T10:00Z',
      '2022-10-31T10:00:00.Z',
      '22-10-31T10:00:00Z',
      '+2022-10-31T10:00:00Z',
      'Mon, 31 Oct 2022 10:00:00 GMT',
      '',
      ' 2022-10-31T10:00:00Z',
      '2022-10-31T10:00:00Z ',
      '٢٠٢٢-10-31T10:00:00Z', // Arabic-Indic digits
    ];
    for (const timestamp of bad) {
      const answer = await refused(user, 400, 'VALIDATION_FAILED', () => addText(user, addBody('SEED', 10, timestamp)));
      expect(errorPaths(answer), timestamp).toContain('timestamp');
    }
  });

  it('accepts good timestamps and returns them normalised to UTC', async () => {
    const user = newUser('ts');
    const good: [string, string][] = [
      ['2022-10-31T10:00:00Z', '2022-10-31T10:00:00Z'],
      ['2022-10-31T12:00:00+02:00', '2022-10-31T10:00:00Z'],
      ['2022-10-31T15:30:00+05:30', '2022-10-31T10:00:00Z'],
      ['2022-10-31T05:00:00-05:00', '2022-10-31T10:00:00Z'],
      ['2022-10-31T10:00:00+00:00', '2022-10-31T10:00:00Z'],
      ['2022-10-31T10:00:00-00:00', '2022-10-31T10:00:00Z'],
      ['2022-03-01T01:00:00+02:00', '2022-02-28T23:00:00Z'], // crosses a month backwards
      ['2022-12-31T23:30:00-01:00', '2023-01-01T00:30:00Z'], // crosses a year forwards
      ['2022-10-31T10:00:00.5Z', '2022-10-31T10:00:00.5Z'],
      ['2022-10-31T10:00:00.123456Z', '2022-10-31T10:00:00.123456Z'],
      ['2022-10-31T12:00:00.250+02:00', '2022-10-31T10:00:00.250Z'],
      ['2024-02-29T10:00:00Z', '2024-02-29T10:00:00Z'], // leap day
      ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00Z'], // leap day of a 400-year
      ['2022-10-31T23:59:59+23:59', '2022-10-31T00:00:59Z'],
      ['2022-10-31T00:00:00-23:59', '2022-10-31T23:59:00Z'],
    ];
    for (const [i, [timestamp, utc]] of good.entries()) {
      const answer = await add(user, `P${i}`, 1, timestamp);
      expect(answer.status, `${timestamp}: ${answer.text}`).toBe(200);
      expect(answer.body.timestamp, timestamp).toBe(utc);
    }
    const recorded = (await ledger(user)).map((item) => item.timestamp);
    expect(recorded).toEqual(good.map(([, utc]) => utc));
  });

  it('refuses an invalid userId on every user route', async () => {
    for (const userId of ['x'.repeat(65), 'a.b', 'a%20b', 'a%2Bb', '%C3%A9t%C3%A9', 'a~b', 'a@b']) {
      const prefix = `/users/${userId}`;
      const answers = [
        await raw('POST', `${prefix}/add`, addBody('A', 1, TS)),
        await raw('POST', `${prefix}/spend`, '{"points": 1}'),
        await raw('GET', `${prefix}/balance`),
        await raw('GET', `${prefix}/transactions`),
      ];
      for (const answer of answers) {
        expectProblem(answer, 400, 'VALIDATION_FAILED');
        expect(errorPaths(answer), userId).toContain('userId');
      }
    }
    // 64 characters of the allowed alphabet are fine.
    const longest = `${'Az09_-'.repeat(10)}abcd`;
    expect(longest).toHaveLength(64);
    expect((await raw('GET', `/users/${longest}/balance`)).status).toBe(200);
  });

  it('refuses a bad limit on /transactions', async () => {
    const user = await seededUser('lim');
    for (const limit of ['0', '1001', 'abc', '-1', '1.5', '', '1e2', '10000', '0x10']) {
      const answer = await raw('GET', `/users/${user}/transactions?limit=${encodeURIComponent(limit)}`);
      expectProblem(answer, 400, 'VALIDATION_FAILED');
      expect(errorPaths(answer), limit).toContain('limit');
    }
    // The bounds themselves are fine.
    for (const limit of ['1', '1000']) expect((await raw('GET', `/users/${user}/transactions?limit=${limit}`)).status).toBe(200);
  });

  it('refuses a tampered cursor, another user’s cursor, and garbage', async () => {
    const user = await seededUser('cur');
    const first = await call('GET', `/users/${user}/transactions?limit=1`);
    expect(first.status).toBe(200);
    const cursor: string = first.body.nextCursor;
    expect(typeof cursor).toBe('string');
    const page = (c: string, u = user) => raw('GET', `/users/${u}/transactions?limit=1&cursor=${encodeURIComponent(c)}`);
    // The real cursor works, and goes on after the first item.
    const second = await page(cursor);
    expect(second.status).toBe(200);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);

    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const [payload = '', signature = ''] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify([user, 2])).toString('base64url');
    const tampered = [
      flip(cursor, 0),
      flip(cursor, cursor.length - 1),
      `${forged}.${signature}`,
      payload,
      `${payload}.`,
      `${cursor}.x`,
      `${cursor}x`,
      'abc',
      '.',
      'x'.repeat(600),
    ];
    for (const bad of tampered) {
      const answer = await page(bad);
      expectProblem(answer, 400, 'VALIDATION_FAILED');
      expect(errorPaths(answer), bad).toContain('cursor');
    }
    // A cursor given to this user is refused for any other user.
    const other = await seededUser('cur');
    expectProblem(await page(cursor, other), 400, 'VALIDATION_FAILED');
  });

  it('refuses a malformed Idempotency-Key header, changing nothing', async () => {
    const user = await seededUser('idem');
    for (const key of ['k'.repeat(129), 'a b', 'clé', 'naïve-key', 'tab\tkey']) {
      const a = await refused(user, 400, 'VALIDATION_FAILED', () => spendText(user, '{"points": 5}', { 'Idempotency-Key': key }));
      expect(errorPaths(a), key).toContain('Idempotency-Key');
      await refused(user, 400, 'VALIDATION_FAILED', () => addText(user, addBody('SEED', 5, TS), { 'Idempotency-Key': key }));
    }
    // 128 visible ASCII characters, the whole range, are a valid key.
    const visible = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    const longest = (visible + visible).slice(0, 128);
    const answer = await spendText(user, '{"points": 5}', { 'Idempotency-Key': longest });
    expect(answer.status, answer.text).toBe(200);
  });
});

describe('400 ledger refusals', () => {
  it('INSUFFICIENT_POINTS: a spend larger than the total, changing nothing', async () => {
    const user = await seededUser('insuf'); // 650 points in, 100 spent: 650 - 100 = 550 left
    expect(Object.values((await balance(user)).body).reduce((a, b) => a + b, 0)).toBe(650);
    await refused(user, 400, 'INSUFFICIENT_POINTS', () => spend(user, 651));
    await refused(user, 400, 'INSUFFICIENT_POINTS', () => spend(user, MAX));
    await refused(user, 400, 'INSUFFICIENT_POINTS', () => spendText(user, '{"points": 1e300}'));
    // Exactly the total is fine.
    expect((await spend(user, 650)).status).toBe(200);
    await refused(user, 400, 'INSUFFICIENT_POINTS', () => spend(user, 1));
    // A user never seen has nothing.
    const fresh = newUser('insuf');
    expectProblem(await spend(fresh, 1), 400, 'INSUFFICIENT_POINTS');
    expect((await balance(fresh)).text).toBe('{}');
    expect(await ledger(fresh)).toEqual([]);
  });

  it('INSUFFICIENT_PAYER_POINTS: a negative add larger than the payer’s balance, also for a payer never seen', async () => {
    const user = await seededUser('payer'); // SEED 500 - 100 spent = 400; OTHER 250
    expect((await balance(user)).body).toEqual({ SEED: 400, OTHER: 250 });
    await refused(user, 400, 'INSUFFICIENT_PAYER_POINTS', () => add(user, 'SEED', -401, TS));
    await refused(user, 400, 'INSUFFICIENT_PAYER_POINTS', () => add(user, 'OTHER', -251, TS));
    // The user's total would cover it, but not the payer's own balance.
    await refused(user, 400, 'INSUFFICIENT_PAYER_POINTS', () => add(user, 'OTHER', -300, TS));
    await refused(user, 400, 'INSUFFICIENT_PAYER_POINTS', () => add(user, 'NEVER SEEN', -1, TS));
    // Payers are compared exactly: "seed" is not "SEED".
    await refused(user, 400, 'INSUFFICIENT_PAYER_POINTS', () => add(user, 'seed', -1, TS));
    await refused(user, 400, 'INSUFFICIENT_PAYER_POINTS', () => add(user, 'SEED', -MAX, TS));
    await refused(user, 400, 'INSUFFICIENT_PAYER_POINTS', () => addText(user, `{"payer": "SEED", "points": -1e300, "timestamp": "${TS}"}`));
    // The payer's exact balance is fine.
    expect((await add(user, 'SEED', -400, TS)).status).toBe(200);
    await refused(user, 400, 'INSUFFICIENT_PAYER_POINTS', () => add(user, 'SEED', -1, TS));
    expect((await balance(user)).body).toEqual({ SEED: 0, OTHER: 250 });
  });

  it('LIMIT_EXCEEDED: a payer may reach 2^53 - 1 but not pass it', async () => {
    const user = newUser('limit');
    expect((await add(user, 'A', MAX - 1, TS)).status).toBe(200);
    expect((await add(user, 'A', 1, TS)).status).toBe(200);
    expect((await balance(user)).text).toBe(`{"A":${MAX}}`);
    await refused(user, 400, 'LIMIT_EXCEEDED', () => add(user, 'A', 1, TS));
    await refused(user, 400, 'LIMIT_EXCEEDED', () => add(user, 'A', MAX, TS));
    // The total is at the limit too, so no other payer can add either.
    await refused(user, 400, 'LIMIT_EXCEEDED', () => add(user, 'B', 1, TS));
    // After a deduction there is room again, exactly that much.
    expect((await add(user, 'A', -10, TS)).status).toBe(200);
    expect((await add(user, 'B', 10, TS)).status).toBe(200);
    await refused(user, 400, 'LIMIT_EXCEEDED', () => add(user, 'B', 1, TS));
  });

  it('LIMIT_EXCEEDED: the total across payers may not pass 2^53 - 1', async () => {
    const user = newUser('limit');
    expect((await add(user, 'A', MAX - 100, TS)).status).toBe(200);
    expect((await add(user, 'B', 60, TS)).status).toBe(200);
    // B alone would be far below the limit; the total would be MAX + 1.
    await refused(user, 400, 'LIMIT_EXCEEDED', () => add(user, 'B', 41, TS));
    await refused(user, 400, 'LIMIT_EXCEEDED', () => add(user, 'C', 41, TS));
    expect((await add(user, 'C', 40, TS)).status).toBe(200);
    expect((await balance(user)).body).toEqual({ A: MAX - 100, B: 60, C: 40 });
  });

  it('LIMIT_EXCEEDED: a single add of 2^53', async () => {
    const user = await seededUser('limit');
    await refused(user, 400, 'LIMIT_EXCEEDED', () => add(user, 'NEW', MAX + 1, TS));
    await refused(user, 400, 'LIMIT_EXCEEDED', () => addText(user, `{"payer": "NEW", "points": 9007199254740992, "timestamp": "${TS}"}`));
    await refused(user, 400, 'LIMIT_EXCEEDED', () => addText(user, `{"payer": "SEED", "points": 1e300, "timestamp": "${TS}"}`));
    const fresh = newUser('limit');
    expectProblem(await add(fresh, 'NEW', MAX + 1, TS), 400, 'LIMIT_EXCEEDED');
    expect((await balance(fresh)).text).toBe('{}');
    expect(await ledger(fresh)).toEqual([]);
  });
});

describe('413 PAYLOAD_TOO_LARGE', () => {
  /** A valid add body padded with JSON whitespace to exactly `bytes` bytes. */
  const paddedAdd = (payer: string, points: number, bytes: number) => {
    const body = addBody(payer, points, TS);
    const padding = bytes - Buffer.byteLength(body);
    expect(padding).toBeGreaterThan(0);
    const text = `${body.slice(0, -1)}${' '.repeat(padding)}}`;
    expect(Buffer.byteLength(text)).toBe(bytes);
    return text;
  };

  it('accepts a body of exactly 16384 bytes and refuses 16385', async () => {
    const user = await seededUser('size');
    const accepted = await addText(user, paddedAdd('BIG', 7, LIMIT));
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body).toMatchObject({ payer: 'BIG', points: 7 });
    expect((await balance(user)).body.BIG).toBe(7);
    await refused(user, 413, 'PAYLOAD_TOO_LARGE', () => addText(user, paddedAdd('BIG', 7, LIMIT + 1)));
    await refused(user, 413, 'PAYLOAD_TOO_LARGE', () => spendText(user, `{"points": 1${' '.repeat(LIMIT + 1000)}}`));
    await refused(user, 413, 'PAYLOAD_TOO_LARGE', () => spendText(user, 'x'.repeat(100_000)));
  });

  it('counts bytes, not characters', async () => {
    const user = await seededUser('size');
    // "é" is two bytes in UTF-8: these bodies have far fewer than 16384 characters.
    const withNote = (bytes: number) => {
      const head = '{"points": 1, "note": "';
      const tail = '"}';
      const room = bytes - Buffer.byteLength(head + tail);
      const text = `${head}${'é'.repeat(Math.floor(room / 2))}${room % 2 ? 'x' : ''}${tail}`;
      expect(Buffer.byteLength(text)).toBe(bytes);
      expect(text.length).toBeLessThan(LIMIT);
      return text;
    };
    // At the limit it passes the size check and fails on the unknown field instead.
    const atLimit = await refused(user, 400, 'VALIDATION_FAILED', () => spendText(user, withNote(LIMIT)));
    expect(errorPaths(atLimit)).toContain('note');
    await refused(user, 413, 'PAYLOAD_TOO_LARGE', () => spendText(user, withNote(LIMIT + 1)));
  });
});

describe('422 IDEMPOTENCY_KEY_REUSED', () => {
  it('refuses a key reused with another body or on another route, changing nothing', async () => {
    const user = await seededUser('reuse');
    const key = `reuse-${newUser('k')}`;
    const first = await spend(user, 10, { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    // The same request again is a replay, not a reuse.
    const replay = await spend(user, 10, { 'Idempotency-Key': key });
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    await refused(user, 422, 'IDEMPOTENCY_KEY_REUSED', () => spend(user, 11, { 'Idempotency-Key': key }));
    await refused(user, 422, 'IDEMPOTENCY_KEY_REUSED', () => add(user, 'SEED', 10, TS, { 'Idempotency-Key': key }));
    // Key order in the body does not make it a different request.
    const reordered = await addText(user, `{"timestamp": "${TS}", "points": 3, "payer": "SEED"}`, { 'Idempotency-Key': `${key}-add` });
    expect(reordered.status).toBe(200);
    const again = await addText(user, `{"payer": "SEED", "points": 3, "timestamp": "${TS}"}`, { 'Idempotency-Key': `${key}-add` });
    expect(again.status).toBe(200);
    expect(again.text).toBe(reordered.text);
    await refused(user, 422, 'IDEMPOTENCY_KEY_REUSED', () => add(user, 'SEED', 4, TS, { 'Idempotency-Key': `${key}-add` }));
  });

  it('a refusal stored under a key is replayed, and the key cannot be reused for another body', async () => {
    const user = await seededUser('reuse');
    const key = `refusal-${newUser('k')}`;
    const first = await refused(user, 400, 'INSUFFICIENT_POINTS', () => spend(user, 10_000, { 'Idempotency-Key': key }));
    const second = await refused(user, 400, 'INSUFFICIENT_POINTS', () => spend(user, 10_000, { 'Idempotency-Key': key }));
    expect(second.text).toBe(first.text);
    await refused(user, 422, 'IDEMPOTENCY_KEY_REUSED', () => spend(user, 1, { 'Idempotency-Key': key }));
  });
});

describe('404 NOT_FOUND and 405 METHOD_NOT_ALLOWED', () => {
  it('answers unknown paths with 404', async () => {
    for (const [method, path] of [
      ['GET', '/unknown'],
      ['POST', '/unknown'],
      ['GET', '/users/x/unknown'],
      ['POST', '/users/x/unknown'],
      ['GET', '/users/x'],
      ['GET', '/users'],
      ['GET', '/users/x/balance/extra'],
      ['GET', '/openapi'],
      ['GET', '/Balance'],
      ['DELETE', '/nothing/here'],
    ] as const) {
      expectProblem(await raw(method, path), 404, 'NOT_FOUND');
    }
  });

  it('answers a known path with the wrong method with 405 and an Allow header', async () => {
    const cases: [string, string, string][] = [
      ['GET', '/add', 'POST'],
      ['GET', '/users/x/add', 'POST'],
      ['PUT', '/users/x/add', 'POST'],
      ['POST', '/balance', 'GET'],
      ['DELETE', '/users/x/balance', 'GET'],
      ['DELETE', '/spend', 'POST'],
      ['GET', '/users/x/spend', 'POST'],
      ['PATCH', '/transactions', 'GET'],
      ['POST', '/users/x/transactions', 'GET'],
      ['POST', '/openapi.json', 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await raw(method, path, method === 'GET' || method === 'DELETE' ? undefined : '{}');
      expectProblem(answer, 405, 'METHOD_NOT_ALLOWED');
      expect(
        (answer.headers.get('allow') ?? '')
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean),
        `${method} ${path}`,
      ).toEqual([allow]);
    }
  });

  it('a wrong method changes nothing', async () => {
    const user = await seededUser('method');
    await refused(user, 405, 'METHOD_NOT_ALLOWED', () => raw('PUT', `/users/${user}/add`, addBody('SEED', 5, TS)));
    await refused(user, 405, 'METHOD_NOT_ALLOWED', () => raw('DELETE', `/users/${user}/spend`, '{"points": 5}'));
    await refused(user, 405, 'METHOD_NOT_ALLOWED', () => raw('PATCH', `/users/${user}/balance`, '{"SEED": 0}'));
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document of every route', async () => {
    const answer = await call('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const document = answer.body;
    expect(typeof document.openapi).toBe('string');
    expect(document.openapi.startsWith('3.1')).toBe(true);
    expect(ROUTES.length).toBeGreaterThanOrEqual(9);
    for (const route of ROUTES) {
      expect(document.paths?.[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeTypeOf('object');
    }
    // No route that does not exist.
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('describes /add with the schema that validates it', async () => {
    const document = (await call('GET', '/openapi.json')).body;
    for (const path of ['/add', '/users/{userId}/add']) {
      const schema = document.paths[path].post.requestBody.content['application/json'].schema;
      expect(schema.additionalProperties).toBe(false);
      expect([...schema.required].sort()).toEqual(['payer', 'points', 'timestamp']);
      expect(Object.keys(schema.properties).sort()).toEqual(['availableAt', 'expiresAt', 'payer', 'points', 'timestamp']);
    }
    const spendSchema = document.paths['/spend'].post.requestBody.content['application/json'].schema;
    expect(spendSchema.additionalProperties).toBe(false);
    expect(spendSchema.required).toEqual(['points']);
  });
});

describe('no 5xx from client input', () => {
  const user = newUser('weird');
  const u = `/users/${user}`;
  const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  type Case = { name: string; method: string; path: string; body?: string | Buffer; headers?: Record<string, string> };
  const cases: Case[] = [
    { name: 'points 1e308 add', method: 'POST', path: `${u}/add`, body: `{"payer":"A","points":1e308,"timestamp":"${TS}"}` },
    { name: 'points -1e308 add', method: 'POST', path: `${u}/add`, body: `{"payer":"A","points":-1e308,"timestamp":"${TS}"}` },
    { name: 'points Number.MAX_VALUE spend', method: 'POST', path: `${u}/spend`, body: `{"points":${Number.MAX_VALUE}}` },
    { name: 'points 400 digits', method: 'POST', path: `${u}/spend`, body: `{"points":${'9'.repeat(400)}}` },
    { name: 'points 1e-400 spend', method: 'POST', path: `${u}/spend`, body: '{"points":1e-400}' },
    { name: 'points -0 spend', method: 'POST', path: `${u}/spend`, body: '{"points":-0}' },
    { name: 'deeply nested objects', method: 'POST', path: `${u}/add`, body: nested(2500) },
    { name: 'deeply nested arrays', method: 'POST', path: `${u}/spend`, body: `${'['.repeat(8000)}${']'.repeat(8000)}` },
    { name: 'nested points', method: 'POST', path: `${u}/spend`, body: `{"points":${nested(2000)}}` },
    { name: 'lone surrogate payer', method: 'POST', path: `${u}/add`, body: `{"payer":"\\ud800","points":1,"timestamp":"${TS}"}` },
    { name: 'lone low surrogate payer', method: 'POST', path: `${u}/add`, body: `{"payer":"a\\udfffb","points":1,"timestamp":"${TS}"}` },
    { name: 'invalid UTF-8 bytes', method: 'POST', path: `${u}/add`, body: Buffer.from([0x7b, 0x22, 0x70, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
    { name: 'UTF-8 BOM', method: 'POST', path: `${u}/spend`, body: '\ufeff{"points":1}' },
    { name: 'NUL bytes', method: 'POST', path: `${u}/spend`, body: '{"points":1}\u0000' },
    { name: 'duplicate keys', method: 'POST', path: `${u}/spend`, body: '{"points":1,"points":"x"}' },
    { name: 'emoji payer', method: 'POST', path: `${u}/add`, body: addBody('🏦💰', 5, TS) },
    { name: 'RTL payer', method: 'POST', path: `${u}/add`, body: addBody('\u202Eevil', 5, TS) },
    { name: 'combining payer', method: 'POST', path: `${u}/add`, body: addBody('e\u0301'.repeat(64), 5, TS) },
    { name: 'payer "constructor"', method: 'POST', path: `${u}/add`, body: addBody('constructor', 5, TS) },
    { name: 'payer with separator-like text', method: 'POST', path: `${u}/add`, body: addBody('A#0000000000000001', 5, TS) },
    { name: 'negative add of emoji payer', method: 'POST', path: `${u}/add`, body: addBody('🏦💰', -5, TS) },
    { name: 'year 0000', method: 'POST', path: `${u}/add`, body: addBody('Y', 1, '0000-01-01T00:00:00Z') },
    { name: 'before year 0000', method: 'POST', path: `${u}/add`, body: addBody('Y', 1, '0000-01-01T00:00:00+01:00') },
    { name: 'after year 9999', method: 'POST', path: `${u}/add`, body: addBody('Y', 1, '9999-12-31T23:59:59-01:00') },
    { name: 'very long fraction', method: 'POST', path: `${u}/add`, body: addBody('Y', 1, `2022-10-31T10:00:00.${'9'.repeat(60)}Z`) },
    { name: 'huge timestamp string', method: 'POST', path: `${u}/add`, body: addBody('Y', 1, '2'.repeat(10_000)) },
    { name: 'empty path segment', method: 'GET', path: '/users//balance' },
    { name: 'trailing slash', method: 'GET', path: '/balance/' },
    { name: 'double slash', method: 'GET', path: '//balance' },
    { name: 'dot segments', method: 'GET', path: '/users/../balance' },
    { name: 'encoded slash', method: 'GET', path: '/users/a%2Fb/balance' },
    { name: 'encoded NUL', method: 'GET', path: '/users/a%00b/balance' },
    { name: 'bad percent-encoding', method: 'GET', path: '/users/%ZZ/balance' },
    { name: 'percent-encoded emoji', method: 'GET', path: `/users/${encodeURIComponent('😀')}/balance` },
    { name: 'long path', method: 'GET', path: `/users/${'x'.repeat(4000)}/balance` },
    { name: 'query on POST', method: 'POST', path: `${u}/spend?points=1`, body: '{"points":1}' },
    { name: 'repeated limit', method: 'GET', path: `${u}/transactions?limit=1&limit=2` },
    { name: 'array-like query', method: 'GET', path: `${u}/transactions?limit[]=1&cursor[x]=2` },
    { name: 'empty cursor', method: 'GET', path: `${u}/transactions?cursor=` },
    { name: 'cursor with forged JSON', method: 'GET', path: `${u}/transactions?cursor=${Buffer.from('[1,').toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA` },
    { name: 'PUT', method: 'PUT', path: `${u}/spend`, body: '{"points":1}' },
    { name: 'OPTIONS', method: 'OPTIONS', path: `${u}/add` },
    { name: 'HEAD', method: 'HEAD', path: `${u}/balance` },
    { name: 'text/plain content type', method: 'POST', path: `${u}/spend`, body: '{"points":1}', headers: { 'content-type': 'text/plain' } },
    { name: 'octet-stream content type', method: 'POST', path: `${u}/spend`, body: '{"points":1}', headers: { 'content-type': 'application/octet-stream' } },
    { name: 'form content type', method: 'POST', path: `${u}/spend`, body: 'points=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { name: 'charset latin1', method: 'POST', path: `${u}/add`, body: addBody('Ä', 1, TS), headers: { 'content-type': 'application/json; charset=iso-8859-1' } },
    { name: 'lying gzip encoding', method: 'POST', path: `${u}/spend`, body: '{"points":1}', headers: { 'content-encoding': 'gzip' } },
    { name: 'empty Idempotency-Key', method: 'POST', path: `${u}/spend`, body: '{"points":1}', headers: { 'Idempotency-Key': '' } },
    { name: 'huge Idempotency-Key', method: 'POST', path: `${u}/spend`, body: '{"points":1}', headers: { 'Idempotency-Key': 'k'.repeat(8000) } },
    { name: 'Idempotency-Key on GET', method: 'GET', path: `${u}/balance`, headers: { 'Idempotency-Key': 'x' } },
    { name: 'odd accept', method: 'GET', path: `${u}/balance`, headers: { accept: 'text/html' } },
    { name: 'bad authorization', method: 'GET', path: `${u}/balance`, headers: { authorization: 'Bearer \u00ff' } },
  ];

  it.each(cases)('$name is answered below 500', async ({ method, path, body, headers }) => {
    const answer = await raw(method, path, body, headers);
    expect(answer.status, answer.text).toBeGreaterThanOrEqual(200);
    expect(answer.status, answer.text).toBeLessThan(500);
    expectNoInternals(answer);
    if (answer.status >= 400 && answer.body?.code !== undefined) expectProblem(answer, answer.status, answer.body.code);
  });

  it('leaves the user with a consistent ledger afterwards', async () => {
    const answer = await balance(user);
    expect(answer.status).toBe(200);
    const items = await ledger(user);
    // Every payer's balance is the sum of its ledger entries (adds and spend breakdowns).
    const sums = new Map<string, number>();
    for (const item of items) {
      const entries = item.type === 'add' ? [item] : item.breakdown;
      for (const { payer, points } of entries) sums.set(payer, (sums.get(payer) ?? 0) + points);
    }
    expect(Object.entries(answer.body).sort()).toEqual([...sums].sort());
  });
});
