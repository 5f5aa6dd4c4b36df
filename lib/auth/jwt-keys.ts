// Where the token verifier (lib/auth/jwt.ts) finds its keys, beyond what aws-jwt-verify does alone:
// key sets over plain HTTP from a local issuer, tokens that name no `kid`, a short bound on every
// fetch, and a key set that is fetched again once it is old (AUTH_JWKS_MAX_AGE_SECONDS).
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { FetchError, JwksNotAvailableInCacheError, KidNotFoundInJwksError, NonRetryableFetchError } from 'aws-jwt-verify/error';
import { SimpleFetcher, type Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache, type Jwk, type Jwks, type JwkWithKid } from 'aws-jwt-verify/jwk';
import type { DecomposedJwt } from 'aws-jwt-verify/jwt';

/**
 * How long one attempt to fetch the keys may take (HTTP or HTTPS; HTTPS tries twice): the token
 * check runs inside the request's 10 s, before any DynamoDB work.
 */
export const FETCH_TIMEOUT_MS = 1_000;

/** How long a fetched key set is trusted before it is fetched again, so that a withdrawn key stops working. */
export const DEFAULT_KEYS_MAX_AGE_SECONDS = 600;

export function keysMaxAgeMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.AUTH_JWKS_MAX_AGE_SECONDS || DEFAULT_KEYS_MAX_AGE_SECONDS);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_KEYS_MAX_AGE_SECONDS) * 1000;
}

/**
 * aws-jwt-verify fetches keys over HTTPS only; a local issuer (a test harness, a development
 * identity provider) often serves them over plain HTTP, which this takes too. Deploys refuse an
 * http:// AUTH_JWKS_URL (scripts/serverless-auth.cjs), so in AWS keys always come over HTTPS.
 */
class KeySetFetcher implements Fetcher {
  private readonly https = new SimpleFetcher({ defaultRequestOptions: { timeout: FETCH_TIMEOUT_MS, responseTimeout: FETCH_TIMEOUT_MS } });

  async fetch(uri: string): Promise<ArrayBuffer> {
    if (!uri.startsWith('http:')) return this.https.fetch(uri);
    let response: Response;
    try {
      response = await fetch(uri, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
    } catch (error) {
      throw new FetchError(uri, (error as Error).message);
    }
    if (response.status !== 200) throw new NonRetryableFetchError(uri, `Status code is ${response.status}, expected 200`);
    return response.arrayBuffer();
  }
}

/** The key type (and curve) each accepted algorithm signs with. */
const KEY_TYPES: Record<string, { kty: string; crv?: string }> = { RS256: { kty: 'RSA' }, ES256: { kty: 'EC', crv: 'P-256' } };

const NO_KEY = 'No key of the JWKS verifies this token, which names no kid';

/** Stands for "no kid" in the penalty box, which spaces out fetches for keys not in the set. */
const NO_KID = '\u0000no kid';

/**
 * The key that signed a token no `kid` leads to (the header's `kid` is optional, and SPEC accepts
 * any key of the set): among the given signing keys of the token's algorithm, the one its
 * signature verifies with. aws-jwt-verify then checks the token with it as with any other key.
 */
function keyFor(keys: readonly Jwk[], jwt: DecomposedJwt): JwkWithKid | undefined {
  const type = KEY_TYPES[jwt.header.alg ?? ''];
  if (!type) return undefined;
  const candidates = keys.filter(
    (jwk: Jwk) => jwk.kty === type.kty && (type.crv === undefined || jwk.crv === type.crv) && (jwk.alg === undefined || jwk.alg === jwt.header.alg) && (jwk.use === undefined || jwk.use === 'sig'),
  );
  const input = Buffer.from(`${jwt.headerB64}.${jwt.payloadB64}`);
  const signature = Buffer.from(jwt.signatureB64, 'base64url');
  return candidates.find((jwk) => {
    try {
      const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      return verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      return false; // a key node:crypto cannot read, or a signature it cannot parse: not this one
    }
  }) as JwkWithKid | undefined;
}

/**
 * aws-jwt-verify's cache of key sets, fetching over HTTP too, and finding the key of a token that
 * names no `kid` (any key of the set), or a `kid` no key of the set carries (the keys without one).
 * A fetched set older than `maxAgeMs` is fetched again before use; if that fails, the old set
 * serves on until the next try, `maxAgeMs` later (the issuer being down withdraws no key). An
 * unknown kid leads to at most one fetch per penalty period, whatever the kid (the parent's
 * penalty box is per key set address).
 */
export class KeySetCache extends SimpleJwksCache {
  /** The sets held, to look through for tokens with no kid (the parent keeps its own privately). */
  private readonly sets = new Map<string, Jwks>();
  /** When each fetched set was fetched (or last tried); inline sets (addJwks) never age. */
  private readonly fetchedAt = new Map<string, number>();

  constructor(private readonly maxAgeMs = keysMaxAgeMs()) {
    super({ fetcher: new KeySetFetcher() });
  }

  override addJwks(jwksUri: string, jwks: Jwks): void {
    super.addJwks(jwksUri, jwks);
    this.sets.set(jwksUri, jwks);
  }

  override async getJwks(jwksUri: string): Promise<Jwks> {
    const jwks = await super.getJwks(jwksUri);
    this.sets.set(jwksUri, jwks);
    this.fetchedAt.set(jwksUri, Date.now());
    return jwks;
  }

  /** Fetches an aged set again; on failure keeps it and waits another max age. */
  private async refreshIfOld(jwksUri: string): Promise<void> {
    const at = this.fetchedAt.get(jwksUri);
    if (at === undefined || Date.now() - at < this.maxAgeMs) return;
    this.fetchedAt.set(jwksUri, Date.now());
    await this.getJwks(jwksUri).catch(() => undefined);
  }

  override getCachedJwk(jwksUri: string, jwt: DecomposedJwt): JwkWithKid {
    if (jwt.header.kid !== undefined) return this.keyless(jwksUri, jwt, () => super.getCachedJwk(jwksUri, jwt));
    const jwks = this.sets.get(jwksUri);
    if (!jwks) throw new JwksNotAvailableInCacheError(`JWKS for uri ${jwksUri} not yet available in cache`);
    const jwk = keyFor(jwks.keys, jwt);
    if (!jwk) throw new KidNotFoundInJwksError(NO_KEY);
    return jwk;
  }

  override async getJwk(jwksUri: string, jwt: DecomposedJwt): Promise<JwkWithKid> {
    await this.refreshIfOld(jwksUri);
    if (jwt.header.kid !== undefined) return this.keyless(jwksUri, jwt, () => super.getJwk(jwksUri, jwt));
    const cached = this.sets.get(jwksUri);
    const known = cached && keyFor(cached.keys, jwt);
    if (known) return known;
    // As for an unknown kid: look again (the keys may have rotated), at most once per wait period.
    await this.penaltyBox.wait(jwksUri, NO_KID);
    const jwk = keyFor((await this.getJwks(jwksUri)).keys, jwt);
    if (!jwk) {
      this.penaltyBox.registerFailedAttempt(jwksUri, NO_KID);
      throw new KidNotFoundInJwksError(NO_KEY);
    }
    this.penaltyBox.registerSuccessfulAttempt(jwksUri, NO_KID);
    return jwk;
  }

  /** A kid no key carries: the keys of the set that carry none may still have signed it. */
  private keyless<T extends JwkWithKid | Promise<JwkWithKid>>(jwksUri: string, jwt: DecomposedJwt, byKid: () => T): T {
    const fallBack = (error: unknown): JwkWithKid => {
      const jwk = error instanceof KidNotFoundInJwksError ? keyFor((this.sets.get(jwksUri)?.keys ?? []).filter((k) => k.kid === undefined), jwt) : undefined;
      if (!jwk) throw error;
      return jwk;
    };
    try {
      const found = byKid();
      return (found instanceof Promise ? found.catch(fallBack) : found) as T;
    } catch (error) {
      return fallBack(error) as T;
    }
  }
}
