// lib/auth/: bearer-token verification, the issuer's keys and the access table of SPEC "Identity
// and access". Imports only domain/ and its libraries; lib/http/auth.ts applies it to requests.
//
// Bearer tokens (SPEC "Identity and access"): the configuration read from the environment, and a
// verifier built on aws-jwt-verify. lib/http/auth.ts creates one per container, so keys are fetched
// (AUTH_JWKS_URL) or parsed (AUTH_JWKS) once and cached, never per request.
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import { FetchError, JwksValidationError, JwtBaseError } from 'aws-jwt-verify/error';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { claimsSchema, type Claims } from './access.js';
import { KeySetCache } from './jwt-keys.js';

/** Only these; aws-jwt-verify refuses `none` and HMAC, and would otherwise take RS512, EdDSA, … */
export const ALGORITHMS: readonly string[] = ['RS256', 'ES256'];
/** Clock leeway on `exp` and `nbf` (SPEC: at most 60 s). */
export const LEEWAY_SECONDS = 60;
/** The `aud` a token must carry when AUTH_AUDIENCE is not set. */
export const DEFAULT_AUDIENCE = 'points';

export type JwtConfig = { issuer: string; audience: string[] } & ({ jwks: Jwks } | { jwksUrl: string });
export type AuthConfig = { mode: 'off' } | ({ mode: 'jwt' } & JwtConfig);

/** A setting that cannot work: the function refuses to serve rather than guess. */
export class AuthConfigError extends Error {}

/** A token that was read but cannot be accepted (401). */
export class TokenRefused extends Error {}

/** A token that could not be checked because the issuer's keys are out of reach (503). */
export class KeysUnavailable extends Error {}

function inlineJwks(text: string): Jwks {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AuthConfigError('AUTH_JWKS is not JSON: give a JWKS document, {"keys": [...]}');
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new AuthConfigError('AUTH_JWKS must be a JWKS document, {"keys": [...]}');
  }
  return parsed as Jwks;
}

/** AUTH_MODE and its settings; unset means off. */
export function authConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const mode = env.AUTH_MODE || 'off';
  if (mode === 'off') return { mode };
  if (mode !== 'jwt') throw new AuthConfigError(`AUTH_MODE must be "off" or "jwt", not ${JSON.stringify(mode)}`);
  const issuer = env.AUTH_ISSUER;
  if (!issuer) throw new AuthConfigError('AUTH_MODE=jwt needs AUTH_ISSUER: the exact iss of the tokens to accept');
  const audience = (env.AUTH_AUDIENCE || DEFAULT_AUDIENCE).split(',').map((a) => a.trim()).filter(Boolean);
  if (env.AUTH_JWKS && env.AUTH_JWKS_URL) throw new AuthConfigError('Set AUTH_JWKS or AUTH_JWKS_URL, not both');
  if (env.AUTH_JWKS) return { mode, issuer, audience, jwks: inlineJwks(env.AUTH_JWKS) };
  // OIDC issuers (Cognito among them) publish their keys here.
  return { mode, issuer, audience, jwksUrl: env.AUTH_JWKS_URL || `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json` };
}

/** Turns a bearer token into its claims, or throws TokenRefused / KeysUnavailable. */
export type TokenVerifier = (token: string) => Promise<Claims>;

export function createVerifier(config: JwtConfig): TokenVerifier {
  const verifier = JwtVerifier.create(
    {
      issuer: config.issuer,
      audience: null, // checked below, to read Cognito's access tokens too
      graceSeconds: LEEWAY_SECONDS,
      // Inline keys are cached under a name that is never fetched (verifySync below never fetches).
      jwksUri: 'jwksUrl' in config ? config.jwksUrl : 'https://inline-jwks.invalid/',
      // Runs after the signature, iss, aud and times are checked.
      customJwtCheck: ({ header, payload }) => {
        if (!ALGORITHMS.includes(header.alg ?? '')) throw new TokenRefused(`Tokens signed with ${header.alg ?? 'no algorithm'} are not accepted; use ${ALGORITHMS.join(' or ')}.`);
        if (payload.exp === undefined) throw new TokenRefused('The token has no exp (expiry).');
        // Amazon Cognito's access tokens carry no aud: their audience is the app client, client_id.
        const audiences = payload.aud === undefined ? [payload.client_id].filter((id) => typeof id === 'string') : [payload.aud].flat();
        if (!audiences.some((aud) => config.audience.includes(aud as string))) throw new TokenRefused(`The token's audience is not one of ${config.audience.join(', ')}.`);
      },
    },
    { jwksCache: new KeySetCache() },
  );
  // Inline keys: verified synchronously against the cache, so an unknown kid never leads to a fetch.
  const check = 'jwks' in config ? (verifier.cacheJwks(config.jwks), async (token: string) => verifier.verifySync(token)) : (token: string) => verifier.verify(token);
  return async (token) => {
    let payload: unknown;
    try {
      payload = await check(token);
    } catch (error) {
      if (error instanceof FetchError || error instanceof JwksValidationError) throw new KeysUnavailable(`The issuer's keys could not be fetched: ${error.message}`);
      if (error instanceof JwtBaseError || error instanceof TokenRefused) throw new TokenRefused(error.message);
      // node:crypto's own refusals of a malformed signature ("Malformed signature", …): the
      // token is the client's input, so this is a 401, never a 500.
      throw new TokenRefused('The signature is malformed.');
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new TokenRefused('The token\'s sub, scope or payer claim is not a string.');
    return claims.data;
  };
}
