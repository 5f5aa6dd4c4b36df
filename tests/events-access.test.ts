// SPEC "Events and statements", access: points:events reads its own payer's feed and statement,
// and gets 403 for another payer's or without a payer claim; points:admin reads any payer's; no
// token is 401. An API of this file's own in AUTH_MODE=jwt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from './support/http.js';
import { startJwtStack } from './support/jwt-stack.js';
import { bearer, jwks, token } from './support/tokens.js';

let stack: Awaited<ReturnType<typeof startJwtStack>> | undefined;
const { call } = client(() => stack!.url);

beforeAll(async () => {
  stack = await startJwtStack('points-events-auth', { AUTH_JWKS: JSON.stringify(jwks), AUTH_JWKS_URL: '' });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const admin = bearer(token({ sub: 'ops', scope: 'points:admin' }));
const partner = (payer?: string, scope = 'points:events') => bearer(token({ sub: 'acme-app', scope, ...(payer === undefined ? {} : { payer }) }));
const feed = (payer: string, headers?: Record<string, string>) => call('GET', `/events?payer=${encodeURIComponent(payer)}`, undefined, headers);
const sheet = (payer: string, headers?: Record<string, string>) => call('GET', `/statements?payer=${encodeURIComponent(payer)}&from=2024-01-01&to=2024-01-31`, undefined, headers);

describe('access to events and statements', () => {
  it('lets a points:events token read its own payer, and refuses another payer with 403', async () => {
    expect((await call('POST', '/users/alice/add', { payer: 'ACME', points: 5, timestamp: '2024-01-01T00:00:00Z' }, admin)).status).toBe(200);
    for (const read of [feed, sheet]) {
      expect((await read('ACME', partner('ACME'))).status).toBe(200);
      const refused = await read('DANNON', partner('ACME'));
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('FORBIDDEN');
      // No payer claim, or no points:events scope: 403 too; points:admin any payer.
      expect((await read('ACME', partner(undefined))).status).toBe(403);
      expect((await read('ACME', partner('ACME', 'points:earn points:read'))).status).toBe(403);
      expect((await read('DANNON', admin)).status).toBe(200);
      expect((await read('ACME')).status).toBe(401);
    }
  });

  it('checks identity first: a partner\'s bad query is 400, an anonymous one 401', async () => {
    expect((await call('GET', '/events?payer=ACME&limit=0', undefined, partner('ACME'))).status).toBe(400);
    expect((await call('GET', '/events?limit=0')).status).toBe(401);
    expect((await call('GET', '/events', undefined, partner('ACME'))).status).toBe(400);
  });
});
