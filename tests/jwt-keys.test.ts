// The verifier's keys beyond aws-jwt-verify's own rules (lib/auth/jwt-keys.ts), in-process: key sets
// over plain HTTP from a local issuer, tokens that name no kid (SPEC accepts a token signed by any
// key of the set), and key sets whose keys carry no kid.
import { createServer } from 'node:http';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { afterEach, describe, expect, it } from 'vitest';
import { createVerifier, KeysUnavailable, TokenRefused } from '../lib/auth/jwt.js';
import { freePort } from '../scripts/stack.js';
import { AUDIENCES, ISSUER, jwks as issuerKeys, keys, payloadOf, signJws } from './support/tokens.js';

const claims = payloadOf({ sub: 'alice', scope: 'points:read' });
const noKid = (key: (typeof keys)['rsa']) => signJws({ alg: key.alg, typ: 'JWT' }, claims, key.privateKey);
const withKid = (key: (typeof keys)['rsa'], kid: string) => signJws({ alg: key.alg, typ: 'JWT', kid }, claims, key.privateKey);
const jwks = issuerKeys as unknown as Jwks;
const withoutKids = { keys: issuerKeys.keys.map(({ kid: _kid, ...key }) => key) } as unknown as Jwks;

/** A local issuer serving `served()` over plain HTTP, counting fetches. */
async function localIssuer(served: () => object) {
  let fetches = 0;
  const server = createServer((request, response) => {
    fetches++;
    if (request.url === '/jwks.json') response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served()));
    else response.writeHead(404).end();
  });
  const port = await freePort();
  await new Promise<void>((listening) => server.listen(port, '127.0.0.1', listening));
  closing.push(() => new Promise((closed) => server.close(closed)));
  return { url: (path = '/jwks.json') => `http://127.0.0.1:${port}${path}`, fetches: () => fetches, close: () => new Promise((closed) => server.close(closed)) };
}
let closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(closing.map((close) => close()));
  closing = [];
});

describe('tokens that name no kid', () => {
  const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwks });

  it('are checked against every signing key of their algorithm in the set', async () => {
    expect(await verify(noKid(keys.rsa))).toMatchObject({ sub: 'alice' });
    expect(await verify(noKid(keys.ec))).toMatchObject({ sub: 'alice' });
  });

  it('are refused when no key of the set signed them, or with an HMAC keyed by a public key', async () => {
    await expect(verify(noKid(keys.foreign))).rejects.toThrow(TokenRefused);
    const publicPem = keys.rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    await expect(verify(signJws({ alg: 'HS256', typ: 'JWT' }, claims, Buffer.from(publicPem)))).rejects.toThrow(TokenRefused);
  });
});

describe('key sets whose keys carry no kid', () => {
  const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwks: withoutKids });

  it('verify tokens with or without a kid by the key that signed them, and no others', async () => {
    expect(await verify(withKid(keys.rsa, 'any'))).toMatchObject({ sub: 'alice' });
    expect(await verify(noKid(keys.ec))).toMatchObject({ sub: 'alice' });
    await expect(verify(withKid(keys.foreign, 'any'))).rejects.toThrow(TokenRefused);
  });

  it('leave a kid that a keyed set does not hold refused', async () => {
    const keyed = createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwks });
    await expect(keyed(withKid(keys.rsa, 'rotated-9'))).rejects.toThrow(TokenRefused);
  });
});

describe('keys from an http:// AUTH_JWKS_URL (a local issuer)', () => {
  it('are fetched once, and an issuer that is down or refuses is keys unavailable (503), not a bad token', async () => {
    const issuer = await localIssuer(() => jwks);
    const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwksUrl: issuer.url() });
    for (let i = 0; i < 3; i++) expect(await verify(withKid(keys.rsa, keys.rsa.kid))).toMatchObject({ sub: 'alice' });
    expect(await verify(noKid(keys.ec))).toMatchObject({ sub: 'alice' });
    expect(issuer.fetches()).toBe(1);
    await expect(createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwksUrl: issuer.url('/elsewhere.json') })(noKid(keys.rsa))).rejects.toThrow(KeysUnavailable);
    await issuer.close();
    await expect(createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwksUrl: issuer.url() })(noKid(keys.rsa))).rejects.toThrow(KeysUnavailable);
  });

  it('are looked up again for a token no cached key verifies, at most once per wait period', async () => {
    let served: object = { keys: [jwks.keys[0]] };
    const issuer = await localIssuer(() => served);
    const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwksUrl: issuer.url() });
    expect(await verify(noKid(keys.rsa))).toMatchObject({ sub: 'alice' });
    // The issuer rotates in its EC key: the first token it signs makes one more fetch.
    served = jwks;
    expect(await verify(noKid(keys.ec))).toMatchObject({ sub: 'alice' });
    expect(issuer.fetches()).toBe(2);
    // Tokens no key verifies: one more fetch at most, then refused from the cache until the wait ends.
    for (let i = 0; i < 5; i++) await expect(verify(noKid(keys.foreign))).rejects.toThrow(TokenRefused);
    expect(issuer.fetches()).toBeLessThanOrEqual(3);
  });
});
