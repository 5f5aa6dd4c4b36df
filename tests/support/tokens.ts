// Tokens for the auth tests, signed with node:crypto so that every malformed variant SPEC
// names can be made: no exp, alg none, HS256 keyed with the RSA public key, foreign keys, …
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export const ISSUER = 'https://issuer.test/points';
export const AUDIENCES = ['points', 'points-partners'];

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

interface Pair {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function pair(kid: string, alg: Pair['alg']): Pair {
  const { privateKey, publicKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg, privateKey, publicKey };
}

/** The issuer's keys (published as AUTH_JWKS) and one key nobody trusts. */
export const keys = { rsa: pair('rsa-1', 'RS256'), ec: pair('ec-1', 'ES256'), foreign: pair('rsa-1', 'RS256') };

export const jwks = {
  keys: [keys.rsa, keys.ec].map(({ kid, alg, publicKey }) => ({ ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' })),
};

/** A compact JWS over exactly this header and payload. */
export function signJws(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  let signature: Buffer;
  if (header.alg === 'HS256') signature = createHmac('sha256', key as Buffer).update(input).digest();
  else if (header.alg === 'ES256') signature = sign('sha256', Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else signature = sign(header.alg === 'RS384' ? 'sha384' : 'sha256', Buffer.from(input), key as KeyObject);
  return `${input}.${signature.toString('base64url')}`;
}

export interface TokenOptions {
  sub?: string;
  scope?: string;
  payer?: string;
  /** Claims replacing or removing (undefined) the defaults: iss, aud, exp (an hour from now), iat. */
  claims?: Record<string, unknown>;
  key?: Pair;
}

export const now = () => Math.floor(Date.now() / 1000);

/** The payload a well-formed token for these options carries. */
export function payloadOf(options: TokenOptions): Record<string, unknown> {
  const payload: Record<string, unknown> = { iss: ISSUER, aud: AUDIENCES[0], iat: now(), exp: now() + 3600 };
  if (options.sub !== undefined) payload.sub = options.sub;
  if (options.scope !== undefined) payload.scope = options.scope;
  if (options.payer !== undefined) payload.payer = options.payer;
  for (const [name, value] of Object.entries(options.claims ?? {})) {
    if (value === undefined) delete payload[name];
    else payload[name] = value;
  }
  return payload;
}

/** A token the issuer would sign (RS256 by default). */
export function token(options: TokenOptions = {}): string {
  const key = options.key ?? keys.rsa;
  return signJws({ alg: key.alg, typ: 'JWT', kid: key.kid }, payloadOf(options), key.privateKey);
}

export const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });
