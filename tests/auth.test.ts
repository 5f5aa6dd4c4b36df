// SPEC "Identity and access" over HTTP: a DynamoDB Local and an API of this file's own, started
// with AUTH_MODE=jwt and a key set the test makes (tests/support/tokens.ts). The emulator's own
// authorizer inputs (the override header, the AUTHORIZER variable) are set to an admin's claims.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize, type Claims, type Operation } from '../lib/auth/access.js';
import { expectProblem } from './support/expect.js';
import { client, newUser, type Answer } from './support/http.js';
import { startJwtStack } from './support/jwt-stack.js';
import { AUDIENCES, ISSUER, bearer, jwks, keys, now, payloadOf, signJws, token } from './support/tokens.js';

const ADMIN_OVERRIDE = JSON.stringify({ jwt: { claims: { sub: 'root', scope: 'points:admin' } }, principalId: 'root' });

let stack: Awaited<ReturnType<typeof startJwtStack>> | undefined;
const { call } = client(() => stack!.url);

beforeAll(async () => {
  // serverless-offline puts AUTHORIZER in requestContext.authorizer of every request.
  stack = await startJwtStack('points-auth', { AUTH_JWKS: JSON.stringify(jwks), AUTH_JWKS_URL: '', AUTHORIZER: ADMIN_OVERRIDE });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const admin = bearer(token({ sub: 'ops', scope: 'points:admin' }));
const userToken = (sub: string, scope = 'points:read points:spend') => bearer(token({ sub, scope }));
const partnerToken = (payer?: string, sub = 'acme-app') => bearer(token({ sub, scope: 'points:earn', ...(payer === undefined ? {} : { payer }) }));
const addBody = (payer = 'ACME', points = 100) => ({ payer, points, timestamp: '2024-01-01T00:00:00Z' });

/** Everything an admin sees of a user: a refusal must leave it unchanged. */
async function state(user: string) {
  const balance = await call('GET', `/users/${user}/balance`, undefined, admin);
  const ledger = await call('GET', `/users/${user}/transactions`, undefined, admin);
  expect([balance.status, ledger.status]).toEqual([200, 200]);
  return { balance: balance.text, ledger: ledger.body.items };
}

async function seeded(points = 1000): Promise<string> {
  const user = newUser('auth');
  expect((await call('POST', `/users/${user}/add`, addBody('ACME', points), admin)).status).toBe(200);
  return user;
}

/** RFC 6750 3.1: invalid_token for a token refused, invalid_request for a malformed header, no code without a bearer token. */
function expectUnauthenticated(answer: Answer<any>, tokenSent: boolean | 'malformed') {
  expectProblem(answer, 401, 'UNAUTHENTICATED');
  const error = tokenSent === 'malformed' ? ' error="invalid_request"' : tokenSent ? ' error="invalid_token"' : '';
  expect(answer.headers.get('www-authenticate')).toBe(`Bearer${error}`);
}

/** SPEC: 403 names a scope that would allow the request. */
function expectForbidden(answer: Answer<any>, scope: string) {
  expectProblem(answer, 403, 'FORBIDDEN');
  expect(answer.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="${scope}"`);
}

describe('401 UNAUTHENTICATED: no, malformed, wrongly signed, expired or foreign tokens', () => {
  const valid = { sub: 'alice', scope: 'points:admin' };
  const [headerPart, payloadPart, signaturePart] = token(valid).split('.') as [string, string, string];
  const edited = Buffer.from(JSON.stringify({ ...payloadOf(valid), sub: 'mallory' })).toString('base64url');
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const rsaPublicPem = Buffer.from(keys.rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string);

  const sentTokens: [string, string][] = [
    ['garbage', 'garbage'],
    ['a foreign key under a trusted kid', token({ ...valid, key: keys.foreign })],
    ['alg none, no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${payloadPart}.`],
    ['alg none with a kid', `${b64({ alg: 'none', typ: 'JWT', kid: 'rsa-1' })}.${payloadPart}.${signaturePart}`],
    ['HS256 keyed with the RSA public key', signJws({ alg: 'HS256', typ: 'JWT', kid: 'rsa-1' }, payloadOf(valid), rsaPublicPem)],
    ['RS384 (only RS256 and ES256 are accepted)', signJws({ alg: 'RS384', typ: 'JWT', kid: 'rsa-1' }, payloadOf(valid), keys.rsa.privateKey)],
    ['expired 2 minutes ago', token({ ...valid, claims: { exp: now() - 120 } })],
    ['no exp', token({ ...valid, claims: { exp: undefined } })],
    ['nbf 5 minutes ahead', token({ ...valid, claims: { nbf: now() + 300 } })],
    ['a wrong iss', token({ ...valid, claims: { iss: `${ISSUER}/other` } })],
    ['an iss differing only in a trailing slash', token({ ...valid, claims: { iss: `${ISSUER}/` } })],
    ['a wrong aud', token({ ...valid, claims: { aud: 'someone-else' } })],
    ['no aud', token({ ...valid, claims: { aud: undefined } })],
    ['no aud and a client_id not in the audience', token({ ...valid, claims: { aud: undefined, client_id: 'someone-else' } })],
    ['a wrong aud with a client_id in the audience', token({ ...valid, claims: { aud: 'someone-else', client_id: 'points' } })],
    ['an aud that is not a string', token({ ...valid, claims: { aud: 7 } })],
    ['an unknown kid', signJws({ alg: 'RS256', typ: 'JWT', kid: 'rsa-9' }, payloadOf(valid), keys.rsa.privateKey)],
    ['no kid and a foreign key', signJws({ alg: 'RS256', typ: 'JWT' }, payloadOf(valid), keys.foreign.privateKey)],
    ['no kid and HS256 keyed with the RSA public key', signJws({ alg: 'HS256', typ: 'JWT' }, payloadOf(valid), rsaPublicPem)],
    ['a payload edited after signing', `${headerPart}.${edited}.${signaturePart}`],
    ['an ES256 signature of the wrong length', `${token({ ...valid, key: keys.ec })}AAAA`],
    ['an ID token (token_use id)', token({ ...valid, claims: { token_use: 'id' } })],
    ['an ID token with no aud and a client_id in the audience', token({ ...valid, claims: { aud: undefined, client_id: 'points', token_use: 'id' } })],
    ['no aud and a client_id in the audience, but no token_use', token({ ...valid, claims: { aud: undefined, client_id: 'points' } })],
    ['a scope that is not a string', token({ ...valid, claims: { scope: ['points:admin'] } })],
  ];

  it.each(sentTokens)('refuses %s, with error="invalid_token"', async (_name, jwt) => {
    const user = await seeded();
    const before = await state(user);
    expectUnauthenticated(await call('GET', `/users/${user}/balance`, undefined, bearer(jwt)), true);
    expectUnauthenticated(await call('POST', `/users/${user}/spend`, { points: 1 }, { ...bearer(jwt), 'idempotency-key': `k-${user}` }), true);
    expect(await state(user)).toEqual(before);
  });

  it('refuses a request with no token, or credentials of another scheme, without an error code', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Basic YWxpY2U6c2VjcmV0' }]) {
      const answer = await call('GET', '/balance', undefined, headers);
      expectUnauthenticated(answer, false);
      expect(answer.body.detail).toBe('This route needs Authorization: Bearer <token>.');
    }
  });

  it('refuses a malformed Authorization header with error="invalid_request"', async () => {
    for (const authorization of ['Bearer', 'Bearer ', token(valid), `Bearer ${token(valid)} extra`]) {
      const answer = await call('GET', '/balance', undefined, { authorization });
      expectUnauthenticated(answer, 'malformed');
      expect(answer.body.detail).toBe('The Authorization header is not of the form "Bearer <token>".');
    }
  });

  it('says which kind of failure it was, in a fixed text that repeats no configuration', async () => {
    const kinds: [string, string, RegExp][] = [
      ['garbage', 'garbage', /malformed/],
      ['a foreign key', token({ ...valid, key: keys.foreign }), /signature/],
      ['an unknown kid', signJws({ alg: 'RS256', typ: 'JWT', kid: 'rsa-9' }, payloadOf(valid), keys.rsa.privateKey), /signature/],
      ['expired', token({ ...valid, claims: { exp: now() - 120 } }), /expired/],
      ['a wrong iss', token({ ...valid, claims: { iss: `${ISSUER}/other` } }), /issuer/],
      ['a wrong aud', token({ ...valid, claims: { aud: 'someone-else' } }), /\baud\b/],
      ['an ID token', token({ ...valid, claims: { token_use: 'id' } }), /not an access token/],
    ];
    for (const [name, jwt, kind] of kinds) {
      const answer = await call('GET', '/balance', undefined, bearer(jwt));
      expectUnauthenticated(answer, true);
      expect(answer.body.detail, name).toMatch(kind);
      for (const secret of [ISSUER, ...AUDIENCES, 'rsa-1', 'rsa-9', 'someone-else']) expect(answer.body.detail, name).not.toContain(secret);
    }
  });

  it('takes the token from the Authorization header only, never from the query string', async () => {
    const jwt = token(valid);
    for (const query of [`access_token=${jwt}`, `token=${jwt}`, `authorization=Bearer%20${jwt}`]) {
      expectUnauthenticated(await call('GET', `/balance?${query}`), false);
    }
  });

  it('checks identity before the body: an anonymous broken body is 401, not 400', async () => {
    for (const body of ['{not json', JSON.stringify({ points: 'many' }), '', 'x'.repeat(20_000)]) {
      expectUnauthenticated(await call('POST', '/spend', body, { 'idempotency-key': ' bad key ' }), false);
      expectUnauthenticated(await call('POST', '/users/bad%20user/add', body), false);
    }
  });

  it('accepts a token expired within the 60 s clock leeway, and the scheme in any case', async () => {
    const user = await seeded();
    expect((await call('GET', `/users/${user}/balance`, undefined, { authorization: `bearer ${token({ sub: user, scope: 'points:read', claims: { exp: now() - 20 } })}` })).status).toBe(200);
  });
});

describe('403 FORBIDDEN: a valid token without the right to this user, payer or route', () => {
  it('confines a user to themselves: another user\'s balance, ledger and spend', async () => {
    const [alice, bob] = [await seeded(), await seeded()];
    const before = await state(bob);
    const asAlice = userToken(alice, 'points:read points:spend');
    expectForbidden(await call('GET', `/users/${bob}/balance`, undefined, asAlice), 'points:admin');
    expectForbidden(await call('GET', `/users/${bob}/transactions`, undefined, asAlice), 'points:admin');
    expectForbidden(await call('POST', `/users/${bob}/spend`, { points: 1 }, asAlice), 'points:admin');
    expect(await state(bob)).toEqual(before);
  });

  it('refuses a user adding points, and a read-only token spending', async () => {
    const alice = await seeded();
    const before = await state(alice);
    const everyUserScope = userToken(alice, 'points:read points:spend');
    expectForbidden(await call('POST', '/add', addBody(), everyUserScope), 'points:earn');
    expectForbidden(await call('POST', `/users/${alice}/add`, addBody(), everyUserScope), 'points:earn');
    expectForbidden(await call('POST', '/spend', { points: 1 }, userToken(alice, 'points:read')), 'points:spend');
    expectForbidden(await call('POST', `/users/${alice}/spend`, { points: 1 }, userToken(alice, 'points:read')), 'points:spend');
    expect(await state(alice)).toEqual(before);
  });

  it('confines a partner to its payer: another payer, no payer claim, reading, spending', async () => {
    const user = await seeded();
    const before = await state(user);
    expectForbidden(await call('POST', `/users/${user}/add`, addBody('DANNON'), partnerToken('ACME')), 'points:admin');
    expectForbidden(await call('POST', `/users/${user}/add`, addBody('acme'), partnerToken('ACME')), 'points:admin');
    expectForbidden(await call('POST', `/users/${user}/add`, addBody('ACME'), partnerToken()), 'points:admin');
    expectForbidden(await call('GET', `/users/${user}/balance`, undefined, partnerToken('ACME')), 'points:admin');
    expectForbidden(await call('GET', `/users/${user}/transactions`, undefined, partnerToken('ACME')), 'points:admin');
    expectForbidden(await call('POST', `/users/${user}/spend`, { points: 1 }, partnerToken('ACME')), 'points:admin');
    expect(await state(user)).toEqual(before);
  });

  it('checks the route before the body, and the partner\'s payer once the body is valid', async () => {
    // Not allowed on this route: 403 whatever the body.
    expectForbidden(await call('POST', `/users/${newUser()}/spend`, '{not json', userToken('alice')), 'points:admin');
    // A partner may add: a broken body is then its 400, a valid one with another payer its 403.
    expectProblem(await call('POST', `/users/${newUser()}/add`, '{not json', partnerToken('ACME')), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', `/users/${newUser()}/add`, { payer: 'DANNON', points: 1 }, partnerToken('ACME')), 400, 'VALIDATION_FAILED');
  });

  it('holds follow points:spend on the caller\'s own user, and points:admin on any', async () => {
    const [alice, bob] = [await seeded(), await seeded()];
    const asAlice = userToken(alice, 'points:spend');
    const held = await call('POST', '/holds', { points: 10 }, asAlice);
    expect(held.status, held.text).toBe(200);
    expect((await call('POST', `/users/${alice}/holds/${held.body.id}/capture`, { points: 4 }, asAlice)).status).toBe(200);
    const other = await call('POST', `/users/${bob}/holds`, { points: 10 }, admin);
    expect(other.status, other.text).toBe(200);
    const [aliceBefore, bobBefore] = [await state(alice), await state(bob)];
    expectProblem(await call('POST', `/users/${bob}/holds`, { points: 1 }, asAlice), 403, 'FORBIDDEN');
    expectProblem(await call('POST', `/users/${bob}/holds/${other.body.id}/capture`, {}, asAlice), 403, 'FORBIDDEN');
    expectProblem(await call('POST', `/users/${bob}/holds/${other.body.id}/release`, undefined, asAlice), 403, 'FORBIDDEN');
    expectProblem(await call('POST', '/holds', { points: 1 }, userToken(alice, 'points:read')), 403, 'FORBIDDEN');
    expectProblem(await call('POST', `/users/${alice}/holds`, { points: 1 }, partnerToken('ACME')), 403, 'FORBIDDEN');
    expectProblem(await call('POST', '/holds', { points: 'x' }), 401, 'UNAUTHENTICATED');
    expect([await state(alice), await state(bob)]).toEqual([aliceBefore, bobBefore]);
    expect((await call('POST', `/users/${bob}/holds/${other.body.id}/release`, undefined, admin)).status).toBe(200);
    const detail = await call('GET', '/balance?view=detail', undefined, userToken(alice, 'points:read'));
    expect(detail.status, detail.text).toBe(200);
    expect(Object.values(detail.body as Record<string, { held: number }>).reduce((n, d) => n + d.held, 0)).toBe(0);
  });

  it('keeps reversals to admins: not the spender, not a partner, not anonymous', async () => {
    const alice = await seeded(100);
    expect((await call('POST', '/spend', { points: 40 }, userToken(alice))).status).toBe(200);
    const spendId = (await call('GET', '/transactions', undefined, userToken(alice))).body.items.find((i: any) => i.type === 'spend').id;
    const before = await state(alice);
    expectUnauthenticated(await call('POST', `/users/${alice}/spends/${spendId}/reverse`, {}), false);
    expectForbidden(await call('POST', `/spends/${spendId}/reverse`, {}, userToken(alice)), 'points:admin');
    expectForbidden(await call('POST', `/users/${alice}/spends/${spendId}/reverse`, '', userToken(alice)), 'points:admin');
    expectForbidden(await call('POST', `/users/${alice}/spends/${spendId}/reverse`, { points: 10 }, partnerToken('ACME')), 'points:admin');
    expect(await state(alice)).toEqual(before);
    const reversal = await call('POST', `/users/${alice}/spends/${spendId}/reverse`, { points: 10 }, admin);
    expect([reversal.status, reversal.body.points]).toEqual([200, 10]);
    expect((await call('GET', '/balance', undefined, userToken(alice))).body).toEqual({ ACME: 70 });
  });

  it('refuses a bare route to a token whose sub is not a userId', async () => {
    expectForbidden(await call('GET', '/balance', undefined, userToken('alice@example.com', 'points:read')), 'points:read');
    expectForbidden(await call('GET', '/balance', undefined, bearer(token({ scope: 'points:read' }))), 'points:read');
  });
});

describe('allowed: the right effects', () => {
  it('bare routes act on sub, and /users/{sub} is the same user', async () => {
    const alice = await seeded(500);
    const bob = await seeded(500);
    const asAlice = userToken(alice);
    expect((await call('GET', '/balance', undefined, asAlice)).body).toEqual({ ACME: 500 });
    const spent = await call('POST', '/spend', { points: 120 }, asAlice);
    expect([spent.status, spent.body]).toEqual([200, [{ payer: 'ACME', points: -120 }]]);
    expect((await call('GET', `/users/${alice}/balance`, undefined, asAlice)).body).toEqual({ ACME: 380 });
    expect((await call('POST', `/users/${alice}/spend`, { points: 80 }, asAlice)).status).toBe(200);
    const ledger = await call('GET', '/transactions', undefined, asAlice);
    expect(ledger.body.items.map((i: any) => i.points)).toEqual([500, -120, -80]);
    // Bob and the user "default" are untouched.
    expect((await call('GET', `/users/${bob}/balance`, undefined, admin)).body).toEqual({ ACME: 500 });
    expect((await call('GET', '/users/default/balance', undefined, admin)).body).toEqual({});
  });

  it('a partner adds (positive and negative) for any user, with its own payer, on any audience listed', async () => {
    const user = newUser('auth');
    const partner = partnerToken('ACME');
    expect((await call('POST', `/users/${user}/add`, addBody('ACME', 300), partner)).status).toBe(200);
    expect((await call('POST', `/users/${user}/add`, addBody('ACME', -100), partner)).status).toBe(200);
    const otherAudience = bearer(token({ sub: 'acme-app', scope: 'points:earn', payer: 'ACME', claims: { aud: [AUDIENCES[1], 'x'] } }));
    expect((await call('POST', `/users/${user}/add`, addBody('ACME', 5), otherAudience)).status).toBe(200);
    // A Cognito access token: no aud, the app client in client_id.
    const cognitoStyle = bearer(token({ sub: 'acme-app', scope: 'points:earn', payer: 'ACME', claims: { aud: undefined, client_id: AUDIENCES[1], token_use: 'access' } }));
    expect((await call('POST', `/users/${user}/add`, addBody('ACME', 1), cognitoStyle)).status).toBe(200);
    expect((await call('GET', `/users/${user}/balance`, undefined, admin)).body).toEqual({ ACME: 206 });
  });

  it('an admin (RS256 or ES256) uses every route for every user', async () => {
    const user = newUser('auth');
    for (const asAdmin of [admin, bearer(token({ sub: 'ops', scope: 'points:admin', key: keys.ec }))]) {
      expect((await call('POST', `/users/${user}/add`, addBody('DANNON', 50), asAdmin)).status).toBe(200);
      expect((await call('POST', `/users/${user}/spend`, { points: 10 }, asAdmin)).status).toBe(200);
      expect((await call('GET', `/users/${user}/transactions`, undefined, asAdmin)).status).toBe(200);
    }
    expect((await call('GET', `/users/${user}/balance`, undefined, admin)).body).toEqual({ DANNON: 80 });
  });

  it('takes a token that names no kid, signed by a key of the set (RS256 or ES256)', async () => {
    const user = newUser('auth');
    for (const key of [keys.rsa, keys.ec]) {
      const noKid = bearer(signJws({ alg: key.alg, typ: 'JWT' }, payloadOf({ sub: 'ops', scope: 'points:admin' }), key.privateKey));
      expect((await call('POST', `/users/${user}/add`, addBody('DANNON', 50), noKid)).status).toBe(200);
    }
    expect((await call('GET', `/users/${user}/balance`, undefined, admin)).body).toEqual({ DANNON: 100 });
  });

  it('serves /openapi.json without a token', async () => {
    const answer = await call('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toBe('3.1.0');
  });
});

describe('the emulator grants nothing', () => {
  it('ignores sls-offline-authorizer-override and the AUTHORIZER variable (both an admin\'s claims)', async () => {
    const bob = await seeded();
    const before = await state(bob);
    const override = { 'sls-offline-authorizer-override': ADMIN_OVERRIDE };
    expectUnauthenticated(await call('GET', `/users/${bob}/balance`, undefined, override), false);
    expectUnauthenticated(await call('POST', `/users/${bob}/spend`, { points: 1 }, override), false);
    expectProblem(await call('GET', `/users/${bob}/balance`, undefined, { ...override, ...userToken('alice') }), 403, 'FORBIDDEN');
    expectProblem(await call('POST', `/users/${bob}/add`, addBody(), { ...override, ...partnerToken('OTHER') }), 403, 'FORBIDDEN');
    expect(await state(bob)).toEqual(before);
  });
});

describe('Idempotency-Key: a refused request leaves its key free', () => {
  it('a 403 before the body and a 403 on the payer store nothing under the key', async () => {
    const user = await seeded(1000);
    const key = `key-${user}`;
    expectProblem(await call('POST', `/users/${user}/spend`, { points: 7 }, { ...userToken('mallory'), 'idempotency-key': key }), 403, 'FORBIDDEN');
    expectProblem(await call('POST', `/users/${user}/add`, addBody('DANNON', 9), { ...partnerToken('ACME'), 'idempotency-key': `${key}-add` }), 403, 'FORBIDDEN');
    expectUnauthenticated(await call('POST', `/users/${user}/spend`, { points: 7 }, { 'idempotency-key': key }), false);
    // The allowed callers' first use of both keys, with other bodies: applied, not a 422 or a replay.
    const spend = await call('POST', `/users/${user}/spend`, { points: 3 }, { ...userToken(user), 'idempotency-key': key });
    expect([spend.status, spend.headers.get('idempotent-replayed')]).toEqual([200, null]);
    const add = await call('POST', `/users/${user}/add`, addBody('ACME', 4), { ...partnerToken('ACME'), 'idempotency-key': `${key}-add` });
    expect([add.status, add.headers.get('idempotent-replayed')]).toEqual([200, null]);
    expect((await call('GET', `/users/${user}/balance`, undefined, admin)).body).toEqual({ ACME: 1001 });
    // And the key now holds the allowed request.
    const replay = await call('POST', `/users/${user}/spend`, { points: 3 }, { ...userToken(user), 'idempotency-key': key });
    expect([replay.status, replay.text, replay.headers.get('idempotent-replayed')]).toEqual([200, spend.text, 'true']);
  });
});

describe('Idempotency-Key: scoped by the caller as well as the user', () => {
  it('replays a retry by the same caller; the same key from another caller is another request', async () => {
    const user = newUser('auth');
    const key = `order-${user}`;
    const first = await call('POST', `/users/${user}/add`, addBody('ACME', 10), { ...partnerToken('ACME', 'acme-app'), 'idempotency-key': key });
    expect([first.status, first.headers.get('idempotent-replayed')]).toEqual([200, null]);
    const retry = await call('POST', `/users/${user}/add`, addBody('ACME', 10), { ...partnerToken('ACME', 'acme-app'), 'idempotency-key': key });
    expect([retry.status, retry.text, retry.headers.get('idempotent-replayed')]).toEqual([200, first.text, 'true']);
    const reused = await call('POST', `/users/${user}/add`, addBody('ACME', 11), { ...partnerToken('ACME', 'acme-app'), 'idempotency-key': key });
    expectProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(reused.text).not.toMatch(/[A-Za-z0-9_-]{22}\//);
    // Another partner with the same order number: neither a replay of the first nor a 422.
    const other = await call('POST', `/users/${user}/add`, addBody('ACME', 10), { ...partnerToken('ACME', 'acme-shop'), 'idempotency-key': key });
    expect([other.status, other.headers.get('idempotent-replayed')]).toEqual([200, null]);
    expect(other.body.id).not.toBe(first.body.id);
    const otherBody = await call('POST', `/users/${user}/add`, addBody('ACME', 99), { ...admin, 'idempotency-key': key });
    expect([otherBody.status, otherBody.headers.get('idempotent-replayed')]).toEqual([200, null]);
    expect((await call('GET', `/users/${user}/balance`, undefined, admin)).body).toEqual({ ACME: 119 });
  });
});

describe('Content-Type: identity first, then the media type', () => {
  it('answers 401 to an anonymous text/plain body, 415 to an allowed caller\'s, and applies neither', async () => {
    const user = await seeded(100);
    const before = await state(user);
    const plain = { 'content-type': 'text/plain' };
    expectUnauthenticated(await call('POST', `/users/${user}/spend`, '{"points":1}', plain), false);
    expectProblem(await call('POST', `/users/${user}/spend`, '{"points":1}', { ...plain, ...userToken(user) }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await state(user)).toEqual(before);
  });
});

describe('property: random (token, route, user, payer) over HTTP agree with the rules', () => {
  it('answers 200, 401 or 403 exactly as authorize() and token validity say', async () => {
    const alice = await seeded(1_000_000);
    const bob = await seeded(1_000_000);
    const ROUTES: { operation: Operation; method: 'GET' | 'POST'; suffix: string }[] = [
      { operation: 'balance', method: 'GET', suffix: 'balance' },
      { operation: 'transactions', method: 'GET', suffix: 'transactions?limit=1' },
      { operation: 'spend', method: 'POST', suffix: 'spend' },
      { operation: 'add', method: 'POST', suffix: 'add' },
    ];
    const arb = fc.record({
      sub: fc.option(fc.constantFrom(alice, bob, 'not a user!'), { nil: undefined }),
      scope: fc.subarray(['points:read', 'points:spend', 'points:earn', 'points:admin']),
      payer: fc.option(fc.constantFrom('ACME', 'DANNON'), { nil: undefined }),
      validity: fc.constantFrom('valid', 'valid', 'valid', 'expired', 'foreign', 'none'),
      route: fc.constantFrom(...ROUTES),
      pathUser: fc.option(fc.constantFrom(alice, bob), { nil: undefined }),
      bodyPayer: fc.constantFrom('ACME', 'DANNON'),
    });
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        const options = { ...(c.sub === undefined ? {} : { sub: c.sub }), scope: c.scope.join(' '), ...(c.payer === undefined ? {} : { payer: c.payer }) };
        const jwt =
          c.validity === 'expired' ? token({ ...options, claims: { exp: now() - 3600 } }) : c.validity === 'foreign' ? token({ ...options, key: keys.foreign }) : token(options);
        const headers = c.validity === 'none' ? {} : bearer(jwt);
        const path = c.pathUser === undefined ? `/${c.route.suffix}` : `/users/${c.pathUser}/${c.route.suffix}`;
        const body = c.route.operation === 'add' ? addBody(c.bodyPayer, 1) : c.route.operation === 'spend' ? { points: 1 } : undefined;
        const answer = await call(c.route.method, path, body, headers);
        const claims: Claims = { scope: c.scope, ...(c.sub === undefined ? {} : { sub: c.sub }), ...(c.payer === undefined ? {} : { payer: c.payer }) };
        const grant = authorize(claims, { operation: c.route.operation, ...(c.pathUser === undefined ? {} : { pathUserId: c.pathUser }), bodyPayer: c.bodyPayer });
        const expected = c.validity !== 'valid' ? 401 : grant.allowed ? 200 : 403;
        expect(answer.status, `${c.route.method} ${path} ${JSON.stringify(c)} → ${answer.text}`).toBe(expected);
      }),
      { numRuns: 120 },
    );
  });
});
