// AUTH_JWKS_URL: the issuer's keys fetched over HTTPS (a local server with a self-signed
// certificate the API is told to trust), once per container and then cached: no network call
// per request once a key is known, and a 503 (not an open route) when they cannot be fetched.
// A local issuer's keys over plain HTTP are taken too (the verifier, in-process).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, KeysUnavailable } from '../lib/jwt.js';
import { freePort } from '../scripts/stack.js';
import { expectProblem } from './support/expect.js';
import { client, newUser } from './support/http.js';
import { startJwtStack } from './support/jwt-stack.js';
import { AUDIENCES, ISSUER, bearer, jwks, keys, payloadOf, signJws, token } from './support/tokens.js';

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

describe('keys from an http:// AUTH_JWKS_URL (a local issuer)', () => {
  it('fetches them once, and answers unreachable or refusing issuers as keys unavailable (503), not as bad tokens', async () => {
    let served = 0;
    const local = createHttpServer((request, response) => {
      served++;
      if (request.url === '/jwks.json') response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      else response.writeHead(404).end();
    });
    const port = await freePort();
    await new Promise<void>((listening) => local.listen(port, '127.0.0.1', listening));
    try {
      const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
      for (let i = 0; i < 3; i++) expect(await verify(token({ sub: 'alice', scope: 'points:read' }))).toMatchObject({ sub: 'alice' });
      expect(served).toBe(1);
      const missing = createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwksUrl: `http://127.0.0.1:${port}/elsewhere.json` });
      await expect(missing(token())).rejects.toThrow(KeysUnavailable);
    } finally {
      await new Promise((closed) => local.close(closed));
    }
    const unreachable = createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
    await expect(unreachable(token())).rejects.toThrow(KeysUnavailable);
  });
});
