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

describe('a fetched key set ages (AUTH_JWKS_MAX_AGE_SECONDS), and unknown kids cannot force fetches', () => {
  /** A verifier whose key sets are trusted for `seconds` (read when it is made). */
  function agingVerifier(url: string, seconds: string) {
    const saved = process.env.AUTH_JWKS_MAX_AGE_SECONDS;
    process.env.AUTH_JWKS_MAX_AGE_SECONDS = seconds;
    try {
      return createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwksUrl: url });
    } finally {
      if (saved === undefined) delete process.env.AUTH_JWKS_MAX_AGE_SECONDS;
      else process.env.AUTH_JWKS_MAX_AGE_SECONDS = saved;
    }
  }

  it('stops accepting a key the issuer withdrew once the set is older than the max age', async () => {
    let served: object = jwks;
    const issuer = await localIssuer(() => served);
    const verify = agingVerifier(issuer.url(), '1');
    expect(await verify(withKid(keys.rsa, keys.rsa.kid))).toMatchObject({ sub: 'alice' });
    served = { keys: [jwks.keys[1]] }; // the RSA key is withdrawn
    await new Promise((aged) => setTimeout(aged, 1_100));
    await expect(verify(withKid(keys.rsa, keys.rsa.kid))).rejects.toThrow(TokenRefused);
    expect(await verify(withKid(keys.ec, keys.ec.kid))).toMatchObject({ sub: 'alice' });
  });

  it('keeps the aged set when the issuer cannot be reached, and tries again only a max age later', async () => {
    const issuer = await localIssuer(() => jwks);
    const verify = agingVerifier(issuer.url(), '1');
    expect(await verify(withKid(keys.rsa, keys.rsa.kid))).toMatchObject({ sub: 'alice' });
    await issuer.close();
    await new Promise((aged) => setTimeout(aged, 1_100));
    for (let i = 0; i < 3; i++) expect(await verify(withKid(keys.rsa, keys.rsa.kid))).toMatchObject({ sub: 'alice' });
  });

  it('fetches at most once for a flood of different unknown kids', async () => {
    const issuer = await localIssuer(() => jwks);
    const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwksUrl: issuer.url() });
    expect(await verify(withKid(keys.rsa, keys.rsa.kid))).toMatchObject({ sub: 'alice' });
    for (let i = 0; i < 10; i++) await expect(verify(withKid(keys.rsa, `random-${i}`))).rejects.toThrow(TokenRefused);
    expect(issuer.fetches()).toBeLessThanOrEqual(2);
  });

  it('gives up on a key server that answers later than one attempt may wait (about 1 s)', async () => {
    const server = createServer((_request, response) => setTimeout(() => response.writeHead(200).end(JSON.stringify(jwks)), 2_500));
    const port = await freePort();
    await new Promise<void>((listening) => server.listen(port, '127.0.0.1', listening));
    closing.push(
      () =>
        new Promise((closed) => {
          server.closeAllConnections();
          server.close(closed);
        }),
    );
    const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCES, jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
    await expect(verify(withKid(keys.rsa, keys.rsa.kid))).rejects.toThrow(KeysUnavailable);
  });
});
