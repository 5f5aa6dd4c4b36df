// The local development issuer: an ES256 key pair generated into .auth/ (git-ignored) on first
// use. `npm start` with AUTH_MODE=jwt and no AUTH_ISSUER trusts it; `npm run token` signs with it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { DEFAULT_AUDIENCE } from '../lib/auth/jwt.js';
import { ROOT } from './stack.js';

export const DEV_ISSUER = 'points-local-dev-issuer';
const KEY_FILE = join(ROOT, '.auth', 'dev-issuer.json');

/** The private key (JWK with its kid), created on first use. */
async function privateJwk(): Promise<JWK> {
  if (existsSync(KEY_FILE)) return JSON.parse(readFileSync(KEY_FILE, 'utf8')) as JWK;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const key = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };
  mkdirSync(join(ROOT, '.auth'), { recursive: true, mode: 0o700 });
  writeFileSync(KEY_FILE, `${JSON.stringify(key)}\n`, { mode: 0o600 });
  return key;
}

/** The settings that make the API trust the development issuer (for startApi's env). */
export async function devIssuerEnv(): Promise<Record<string, string>> {
  const { d: _secret, ...publicJwk } = await privateJwk();
  return { AUTH_ISSUER: DEV_ISSUER, AUTH_JWKS: JSON.stringify({ keys: [publicJwk] }), AUTH_JWKS_URL: '' };
}

export interface DevClaims {
  sub: string;
  scope: string;
  payer?: string;
  audience?: string;
  ttlSeconds?: number;
}

/** A token from the development issuer. */
export async function mintDevToken(claims: DevClaims): Promise<string> {
  const jwk = await privateJwk();
  return new SignJWT({ scope: claims.scope, ...(claims.payer === undefined ? {} : { payer: claims.payer }) })
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid!, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(claims.audience ?? DEFAULT_AUDIENCE)
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`)
    .sign(await importJWK(jwk, 'ES256'));
}

export const MINT_HINT = 'npm run token -- --sub alice --scope "points:read points:spend"   (partners: --scope points:earn --payer ACME; operators: --scope points:admin)';
