// AUTH_JWKS_URL: the issuer's keys fetched over HTTPS (a local server with a self-signed
// certificate the API is told to trust), once per container and then cached: no network call
// per request once a key is known, and a 503 (not an open route) when they cannot be fetched.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/stack.js';
import { expectProblem } from './support/expect.js';
import { client, newUser } from './support/http.js';
import { startJwtStack } from './support/jwt-stack.js';
import { bearer, jwks, keys, payloadOf, signJws, token } from './support/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'points-jwks-'));
let stack: Awaited<ReturnType<typeof startJwtStack>> | undefined;
let server: Server | undefined;
let fetches = 0;
const { call } = client(() => stack!.url);

beforeAll(async () => {
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  if (made.status !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr}`);
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_request, response) => {
    fetches++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  const jwksPort = await freePort();
  await new Promise<void>((listening) => server!.listen(jwksPort, '127.0.0.1', listening));
  stack = await startJwtStack('points-jwks', { AUTH_JWKS: '', AUTH_JWKS_URL: `https://127.0.0.1:${jwksPort}/jwks.json`, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') });
}, 180_000);

afterAll(async () => {
  server?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('keys from AUTH_JWKS_URL', () => {
  const user = newUser('jwks');
  const asUser = bearer(token({ sub: user, scope: 'points:read points:spend' }));
  const admin = bearer(token({ sub: 'ops', scope: 'points:admin', key: keys.ec }));

  it('fetches them once per container, not per request', async () => {
    for (let i = 0; i < 10; i++) expect((await call('GET', '/balance', undefined, asUser)).status).toBe(200);
    expect(fetches).toBe(1);
    // Another function is another container: one more fetch, then none.
    for (let i = 0; i < 5; i++) expect((await call('POST', `/users/${user}/add`, { payer: 'ACME', points: 10, timestamp: '2024-01-01T00:00:00Z' }, admin)).status).toBe(200);
    expect(fetches).toBe(2);
    expect((await call('GET', '/balance', undefined, asUser)).body).toEqual({ ACME: 50 });
    expect(fetches).toBe(2);
  });

  it('looks again for an unknown kid at most once per wait period, refusing it with 401', async () => {
    const unknownKid = bearer(signJws({ alg: 'RS256', typ: 'JWT', kid: 'rotated-9' }, payloadOf({ sub: user, scope: 'points:read' }), keys.rsa.privateKey));
    const before = fetches;
    for (let i = 0; i < 5; i++) expectProblem(await call('GET', '/balance', undefined, unknownKid), 401, 'UNAUTHENTICATED');
    expect(fetches - before).toBeLessThanOrEqual(1);
  });

  it('keeps serving known keys when the issuer is unreachable, and answers 503 where none are cached yet', async () => {
    await new Promise((closed) => server!.close(closed));
    expect((await call('GET', '/balance', undefined, asUser)).status).toBe(200);
    // The transactions function has not fetched yet: it cannot check the token, so it refuses.
    const answer = await call('GET', '/transactions', undefined, asUser);
    expectProblem(answer, 503, 'SERVICE_UNAVAILABLE');
    expect(answer.headers.get('retry-after')).toBe('1');
  });
});
