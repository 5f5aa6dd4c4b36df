// lib/auth/: bearer-token verification, the issuer's keys and the access table of SPEC "Identity
// and access". Imports only domain/ and its libraries; lib/http/auth.ts applies it to requests.
//
// Bearer tokens (SPEC "Identity and access"): the configuration read from the environment, and a
// verifier built on aws-jwt-verify. lib/http/auth.ts creates one per container, so keys are fetched
// (AUTH_JWKS_URL) or parsed (AUTH_JWKS) once and cached, never per request.
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import {
  FetchError,
  JwkValidationError,
  JwksValidationError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtNotBeforeError,
  JwtParseError,
} from 'aws-jwt-verify/error';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { claimsSchema, type Claims } from './access.js';
import { KeySetCache } from './jwt-keys.js';
import { keysUrlOf } from './serving.js';

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

/**
 * Why a token is refused, as a client may be told (lib/http/auth.ts gives a fixed text for each):
 * never the configuration it was checked against.
 */
export type RefusalKind = 'malformed' | 'signature' | 'expired' | 'not-yet-valid' | 'issuer' | 'audience' | 'token-use';

/** A token that was read but cannot be accepted (401); the message is for the log only. */
export class TokenRefused extends Error {
  constructor(readonly kind: RefusalKind, message: string) {
    super(message);
  }
}

/** The kind of an aws-jwt-verify refusal; anything else (unknown kid, bad signature, algorithm) is the signature's. */
function kindOf(error: unknown): RefusalKind {
  if (error instanceof TokenRefused) return error.kind;
  if (error instanceof JwtParseError) return 'malformed';
  if (error instanceof JwtExpiredError) return 'expired';
  if (error instanceof JwtNotBeforeError) return 'not-yet-valid';
  if (error instanceof JwtInvalidIssuerError) return 'issuer';
  if (error instanceof JwtInvalidAudienceError) return 'audience';
  return 'signature';
}

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
  return { mode, issuer, audience, jwksUrl: keysUrlOf(env)! };
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
        if (!ALGORITHMS.includes(header.alg ?? '')) throw new TokenRefused('signature', `Tokens signed with ${header.alg ?? 'no algorithm'} are not accepted`);
        if (payload.exp === undefined) throw new TokenRefused('malformed', 'The token has no exp (expiry)');
        // RFC 8725 3.11: an ID token says who signed in, to the client; it is never an API credential.
        if (payload.token_use === 'id') throw new TokenRefused('token-use', 'token_use is id');
        // Amazon Cognito's access tokens carry no aud: their audience is the app client, client_id.
        // Only an access token may stand in that way (RFC 8725 3.12).
        if (payload.aud === undefined && payload.token_use !== 'access') throw new TokenRefused('audience', 'no aud, and token_use is not access');
        const audiences = payload.aud === undefined ? [payload.client_id].filter((id) => typeof id === 'string') : [payload.aud].flat();
        if (!audiences.some((aud) => config.audience.includes(aud as string))) throw new TokenRefused('audience', `audience ${JSON.stringify(audiences)} not accepted`);
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
      // The issuer answered nothing usable (no answer, an error, not a key set, a key that is not one).
      if (error instanceof FetchError || error instanceof JwksValidationError || error instanceof JwkValidationError) {
        throw new KeysUnavailable(`The issuer's keys could not be had: ${error.message}`);
      }
      // Whatever else, node:crypto's refusals of a malformed signature ("Malformed signature", …)
      // included, is about the token, the client's input: a 401, never a 500.
      throw new TokenRefused(kindOf(error), (error as Error).message);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new TokenRefused('malformed', 'sub, scope, payer or client_id is not a string');
    return claims.data;
  };
}
