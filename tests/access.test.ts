// The rules of SPEC "Identity and access" as a pure function, against a small model written
// straight from SPEC's scope table; and AUTH_* settings read from the environment.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCOPES, authorize, routeAccess, scopesFor, type Claims, type Operation, type Scope } from '../lib/auth/access.js';
import { AuthConfigError, authConfig } from '../lib/auth/jwt.js';
import { openApiDocument } from '../lib/http/openapi.js';
import { ROUTES } from '../lib/http/routes.js';
import { ROOT } from '../scripts/stack.js';

const OPERATIONS: Operation[] = ['add', 'spend', 'balance', 'transactions', 'reverse', 'hold', 'capture', 'release', 'openapi', 'docs', 'console', 'events', 'statements'];
const SCOPE_NAMES = ['points:read', 'points:spend', 'points:earn', 'points:events', 'points:admin', 'points:other', 'read'];
const USERS = ['alice', 'bob', 'not a userId!'];
const PAYERS = ['ACME', 'DANNON', 'acme'];

/** SPEC's table, row by row: which scope lets `claims` do `operation` on `target`. */
function modelAllows(claims: Claims, operation: Operation, pathUserId: string | undefined, bodyPayer: string | undefined, queryPayer?: string): boolean {
  if (['openapi', 'docs', 'console'].includes(operation)) return true;
  // A payer's events and statements: its own payer with points:events (a missing payer is the query's 400), any with points:admin.
  if (operation === 'events' || operation === 'statements') {
    return claims.scope.includes('points:admin') || (claims.scope.includes('points:events') && claims.payer !== undefined && (queryPayer === undefined || queryPayer === claims.payer));
  }
  const target = pathUserId ?? claims.sub;
  // The bare routes act on `sub`, which must then be a userId.
  if (target === undefined || (pathUserId === undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(target))) return false;
  const self = target === claims.sub;
  const rows: [string, boolean][] = [
    ['points:read', (operation === 'balance' || operation === 'transactions') && self],
    // Holds follow points:spend.
    ['points:spend', ['spend', 'hold', 'capture', 'release'].includes(operation) && self],
    ['points:earn', operation === 'add' && claims.payer !== undefined && claims.payer === bodyPayer],
    ['points:admin', true],
  ];
  return rows.some(([scope, allows]) => claims.scope.includes(scope) && allows);
}

const claimsArb = fc.record(
  {
    sub: fc.constantFrom(...USERS),
    scope: fc.subarray(SCOPE_NAMES),
    payer: fc.constantFrom(...PAYERS),
  },
  { requiredKeys: ['scope'] },
);
const requestArb = fc.record({
  operation: fc.constantFrom(...OPERATIONS),
  pathUserId: fc.option(fc.constantFrom(...USERS), { nil: undefined }),
  bodyPayer: fc.option(fc.constantFrom(...PAYERS), { nil: undefined }),
  queryPayer: fc.option(fc.constantFrom(...PAYERS), { nil: undefined }),
});

describe('authorize (the rules) against the model of SPEC\'s table', () => {
  it('allows exactly what the model allows, acting on the path\'s user or else sub', () => {
    fc.assert(
      fc.property(claimsArb, requestArb, (claims, request) => {
        const grant = authorize(claims, request);
        expect(grant.allowed).toBe(modelAllows(claims, request.operation, request.pathUserId, request.bodyPayer, request.queryPayer));
        if (grant.allowed && !['openapi', 'docs', 'console', 'events', 'statements'].includes(request.operation)) expect(grant.userId).toBe(request.pathUserId ?? claims.sub);
      }),
      { numRuns: 3000 },
    );
  });

  it('decides everything but the payer before the body: a route refusal holds whatever the body says', () => {
    fc.assert(
      fc.property(claimsArb, requestArb, fc.constantFrom(...PAYERS), (claims, request, otherPayer) => {
        const early = routeAccess(claims, request.operation, request.pathUserId, request.queryPayer);
        if (!early.allowed) expect(authorize(claims, { ...request, bodyPayer: otherPayer }).allowed).toBe(false);
        // Only a partner's add waits for the body.
        if (early.allowed && early.payer !== undefined) expect(request.operation).toBe('add');
      }),
      { numRuns: 2000 },
    );
  });

  it('spells out the cases SPEC names', () => {
    const user = { sub: 'alice', scope: ['points:read', 'points:spend'] };
    const partner = { sub: 'acme-app', scope: ['points:earn'], payer: 'ACME' };
    expect(authorize(user, { operation: 'balance' })).toEqual({ allowed: true, userId: 'alice' });
    expect(authorize(user, { operation: 'balance', pathUserId: 'bob' }).allowed).toBe(false);
    expect(authorize(user, { operation: 'add', bodyPayer: 'ACME' }).allowed).toBe(false);
    expect(authorize(user, { operation: 'reverse' }).allowed).toBe(false);
    expect(authorize({ sub: 'alice', scope: ['points:read'] }, { operation: 'spend' }).allowed).toBe(false);
    expect(authorize(partner, { operation: 'add', pathUserId: 'bob', bodyPayer: 'ACME' })).toEqual({ allowed: true, userId: 'bob', payer: 'ACME' });
    expect(authorize(partner, { operation: 'add', pathUserId: 'bob', bodyPayer: 'DANNON' }).allowed).toBe(false);
    expect(authorize({ sub: 'acme-app', scope: ['points:earn'] }, { operation: 'add', pathUserId: 'bob', bodyPayer: 'ACME' }).allowed).toBe(false);
    expect(authorize(partner, { operation: 'balance', pathUserId: 'bob' }).allowed).toBe(false);
    expect(authorize(partner, { operation: 'spend', pathUserId: 'bob' }).allowed).toBe(false);
    expect(authorize({ sub: 'ops', scope: ['points:admin'] }, { operation: 'reverse', pathUserId: 'bob' })).toEqual({ allowed: true, userId: 'bob' });
    expect(authorize({ scope: [] }, { operation: 'openapi' }).allowed).toBe(true);
  });
});

describe('scopes per operation, as the OpenAPI document lists them', () => {
  it('lists exactly the scopes that, alone, allow the operation on the caller\'s own user', () => {
    for (const operation of OPERATIONS) {
      const allowing = (Object.keys(SCOPES) as Scope[]).filter(
        (scope) => authorize({ sub: 'alice', scope: [scope], payer: 'ACME' }, { operation, pathUserId: 'alice', bodyPayer: 'ACME' }).allowed,
      );
      if (scopesFor(operation).length === 0) expect(authorize({ scope: [] }, { operation }).allowed, operation).toBe(true);
      else expect(allowing, operation).toEqual(scopesFor(operation));
    }
  });

  it('documents a bearer scheme, each route\'s scopes, and 401/403 on every route that needs a token', () => {
    const document = openApiDocument();
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    for (const route of ROUTES) {
      const operation = (document.paths[route.path] as Record<string, any>)[route.method.toLowerCase()];
      const scopes = scopesFor(route.operation);
      expect(operation.security, `${route.method} ${route.path}`).toEqual(scopes.map((scope) => ({ bearer: [scope] })));
      expect(Object.keys(operation.responses).includes('401'), route.path).toBe(scopes.length > 0);
      expect(Object.keys(operation.responses).includes('403'), route.path).toBe(scopes.length > 0);
    }
    expect((document.paths['/openapi.json'] as Record<string, any>).get.security).toEqual([]);
  });
});

describe('AUTH_* settings', () => {
  const jwks = JSON.stringify({ keys: [] });

  it('is off when AUTH_MODE is unset or empty, and refuses any other word', () => {
    expect(authConfig({})).toEqual({ mode: 'off' });
    expect(authConfig({ AUTH_MODE: '' })).toEqual({ mode: 'off' });
    for (const mode of ['JWT', 'on', 'none', 'true']) expect(() => authConfig({ AUTH_MODE: mode })).toThrow(AuthConfigError);
  });

  it('needs an issuer in jwt mode, and takes the audience as a comma-separated list (default "points")', () => {
    expect(() => authConfig({ AUTH_MODE: 'jwt', AUTH_JWKS: jwks })).toThrow(/AUTH_ISSUER/);
    expect(authConfig({ AUTH_MODE: 'jwt', AUTH_ISSUER: 'https://i', AUTH_JWKS: jwks })).toMatchObject({ audience: ['points'] });
    expect(authConfig({ AUTH_MODE: 'jwt', AUTH_ISSUER: 'https://i', AUTH_JWKS: jwks, AUTH_AUDIENCE: 'a, b,c' })).toMatchObject({ audience: ['a', 'b', 'c'] });
  });

  it('reads keys inline or from a URL (by default the issuer\'s /.well-known/jwks.json), never both', () => {
    expect(authConfig({ AUTH_MODE: 'jwt', AUTH_ISSUER: 'https://i/pool/' })).toMatchObject({ jwksUrl: 'https://i/pool/.well-known/jwks.json' });
    expect(authConfig({ AUTH_MODE: 'jwt', AUTH_ISSUER: 'https://i', AUTH_JWKS_URL: 'https://k/jwks' })).toMatchObject({ jwksUrl: 'https://k/jwks' });
    expect(authConfig({ AUTH_MODE: 'jwt', AUTH_ISSUER: 'https://i', AUTH_JWKS: jwks })).toMatchObject({ jwks: { keys: [] } });
    expect(() => authConfig({ AUTH_MODE: 'jwt', AUTH_ISSUER: 'https://i', AUTH_JWKS: jwks, AUTH_JWKS_URL: 'https://k' })).toThrow(/not both/);
    expect(() => authConfig({ AUTH_MODE: 'jwt', AUTH_ISSUER: 'https://i', AUTH_JWKS: '{"keys":' })).toThrow(/AUTH_JWKS/);
    expect(() => authConfig({ AUTH_MODE: 'jwt', AUTH_ISSUER: 'https://i', AUTH_JWKS: '[]' })).toThrow(/AUTH_JWKS/);
  });

  it('stops npm start at once, with the reason, before it starts anything', async () => {
    const start = (env: NodeJS.ProcessEnv) =>
      promisify(execFile)(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/start.ts'], { cwd: ROOT, env: { ...process.env, PORT: '1', ...env }, timeout: 30_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
    expect(await start({ AUTH_MODE: 'bogus' })).toEqual({ code: 1, stderr: 'AUTH_MODE must be "off" or "jwt", not "bogus"\n' });
    expect(await start({ AUTH_MODE: 'jwt', AUTH_ISSUER: 'https://i', AUTH_JWKS: jwks, AUTH_JWKS_URL: 'https://k' })).toMatchObject({ code: 1, stderr: expect.stringMatching(/not both/) });
  }, 60_000);
});
