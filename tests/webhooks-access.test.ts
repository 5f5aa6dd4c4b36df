// Who may manage which webhooks (SPEC "Webhooks", "Identity and access"), over HTTP against a stack
// of this file's own in AUTH_MODE=jwt: points:events only its own payer's, points:admin any payer's
// or every event, anything else 401/403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from './support/http.js';
import { startJwtStack } from './support/jwt-stack.js';
import { bearer, jwks, token } from './support/tokens.js';

let stack: Awaited<ReturnType<typeof startJwtStack>> | undefined;
const { call } = client(() => stack!.url);

beforeAll(async () => {
  stack = await startJwtStack('points-webhooks-access', { AUTH_JWKS: JSON.stringify(jwks), AUTH_JWKS_URL: '' });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const admin = bearer(token({ sub: 'ops', scope: 'points:admin' }));
const partner = (payer: string) => bearer(token({ sub: 'partner', scope: 'points:events', payer }));
const url = 'http://127.0.0.1:9/hook';

describe('webhooks in AUTH_MODE=jwt', () => {
  it('lets points:events manage only its own payer\'s subscriptions, its payer by default', async () => {
    const own = await call('POST', '/webhooks', { url }, partner('DANNON'));
    expect(own.status, own.text).toBe(201);
    expect(own.body.payer).toBe('DANNON');
    const explicit = await call('POST', '/webhooks', { url, payer: 'DANNON' }, partner('DANNON'));
    expect(explicit.status).toBe(201);
    for (const body of [{ url, payer: 'UNILEVER' }, { url, payer: null }]) {
      const refused = await call('POST', '/webhooks', body, partner('DANNON'));
      expect(refused.status, JSON.stringify(body)).toBe(403);
      expect(refused.body.code).toBe('FORBIDDEN');
    }
    const theirs = await call('POST', '/webhooks', { url, payer: 'UNILEVER' }, admin);
    expect(theirs.status).toBe(201);
    const everything = await call('POST', '/webhooks', { url }, admin);
    expect(everything.status).toBe(201);
    expect(everything.body.payer).toBeNull();

    const listed = await call('GET', '/webhooks', undefined, partner('DANNON'));
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((w: any) => w.id).sort()).toEqual([own.body.id, explicit.body.id].sort());
    const all = await call('GET', '/webhooks', undefined, admin);
    expect(all.body.items.map((w: any) => w.id)).toEqual(expect.arrayContaining([own.body.id, theirs.body.id, everything.body.id]));

    for (const [method, path] of [['GET', ''], ['DELETE', ''], ['POST', '/rotate-secret'], ['GET', '/deliveries'], ['POST', '/deliveries/dl_x/retry']] as const) {
      for (const id of [theirs.body.id, everything.body.id]) {
        const refused = await call(method, `/webhooks/${id}${path}`, undefined, partner('DANNON'));
        expect(refused.status, `${method} ${path}`).toBe(403);
      }
    }
    expect((await call('GET', `/webhooks/${theirs.body.id}`, undefined, admin)).status).toBe(200);
    expect((await call('DELETE', `/webhooks/${own.body.id}`, undefined, partner('DANNON'))).status).toBe(204);
    expect((await call('DELETE', `/webhooks/${theirs.body.id}`, undefined, admin)).status).toBe(204);
  });

  it('refuses a points:events token without a payer claim, other scopes (403), and no token (401)', async () => {
    const noPayer = await call('POST', '/webhooks', { url }, bearer(token({ sub: 'partner', scope: 'points:events' })));
    expect(noPayer.status).toBe(403);
    const reader = await call('GET', '/webhooks', undefined, bearer(token({ sub: 'alice', scope: 'points:read points:spend points:earn', payer: 'DANNON' })));
    expect(reader.status).toBe(403);
    const anonymous = await call('POST', '/webhooks', { url: 42 });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
  });
});
