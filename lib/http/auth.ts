// The identity check of every route handler, as one middy middleware: in AUTH_MODE=jwt it
// verifies the bearer token and applies the rules of lib/auth/access.ts before the body is read.
// Only the Authorization header counts: requestContext.authorizer, the emulator's
// `sls-offline-authorizer-override` header and its AUTHORIZER variable are never read.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PUBLIC_OPERATIONS, isWebhookOperation, payerAccess, payerScope, routeAccess, type Claims, type Grant, type Operation } from '../auth/access.js';
import type { PayerScope } from '../domain/webhooks/subscriptions.js';
import { ApiError } from '../domain/errors.js';
import { header } from './headers.js';
import { KeysUnavailable, TokenRefused, authConfig, createVerifier, type RefusalKind, type TokenVerifier } from '../auth/jwt.js';
import { deadlineLeftMs } from '../service/deadline.js';
import { logger, type Caller } from '../telemetry/telemetry.js';

type Event = APIGatewayProxyEventV2;
type Allowed = Extract<Grant, { allowed: true }>;
type Denied = Extract<Grant, { allowed: false }>;

// One per container, made on the first request that needs it (a broken setting fails that
// request with a 500 and a log line, never opens the route).
let verifier: TokenVerifier | 'off' | undefined;
function containerVerifier(): TokenVerifier | 'off' {
  if (verifier === undefined) {
    const config = authConfig();
    verifier = config.mode === 'off' ? 'off' : createVerifier(config);
  }
  return verifier;
}

/**
 * What a 401 says, one fixed text per kind of failure: never the verifier's own message, which
 * can name the expected issuer, the accepted audiences or key ids (those go to the log).
 */
const DETAILS: Record<RefusalKind | 'missing' | 'malformed-header', string> = {
  missing: 'This route needs Authorization: Bearer <token>.',
  'malformed-header': 'The Authorization header is not of the form "Bearer <token>".',
  malformed: 'The token is malformed: not a JWT with the claims this service reads.',
  signature: 'The token\'s signature does not verify with the issuer\'s keys.',
  expired: 'The token has expired.',
  'not-yet-valid': 'The token is not valid yet (nbf).',
  issuer: 'The token is from an issuer this service does not accept.',
  audience: 'The token is not meant for this service (aud).',
  'token-use': 'The token is not an access token.',
};

/**
 * RFC 6750 3.1: no error code when the request carried no bearer token (none, or another
 * scheme); invalid_request for a malformed Authorization header; invalid_token for a token refused.
 */
function unauthenticated(kind: keyof typeof DETAILS): ApiError {
  const error = kind === 'missing' ? undefined : kind === 'malformed-header' ? 'invalid_request' : 'invalid_token';
  return new ApiError('UNAUTHENTICATED', DETAILS[kind], undefined, { 'www-authenticate': error ? `Bearer error="${error}"` : 'Bearer' });
}

/** The token check's share of the request's budget: a key fetch is bounded per attempt too (lib/auth/jwt-keys.ts). */
const TOKEN_CHECK_BUDGET_MS = 2_500;

const keysUnavailable = () => new ApiError('SERVICE_UNAVAILABLE', 'The token could not be checked now (the issuer\'s keys are out of reach); nothing was applied.');

/** Verifies the token within its budget and the request's deadline; past them, the keys count as unavailable (503). */
function verifyInTime(verify: TokenVerifier, token: string): Promise<Claims> {
  const ms = Math.max(0, Math.min(TOKEN_CHECK_BUDGET_MS, deadlineLeftMs()));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new KeysUnavailable(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([verify(token), late]).finally(() => clearTimeout(timer));
}

async function caller(event: Event, verify: TokenVerifier): Promise<Claims> {
  const authorization = header(event, 'authorization');
  const token = /^Bearer +([^\s]+) *$/i.exec(authorization ?? '')?.[1];
  if (token === undefined) {
    // Another scheme (Basic, …) is no bearer token at all; "Bearer" with nothing usable, or a bare token, is malformed.
    const otherScheme = authorization === undefined || authorization.trim() === '' || /^(?!bearer\b)[A-Za-z][\w!#$%&'*+.^`|~-]* +\S/i.test(authorization);
    throw unauthenticated(otherScheme ? 'missing' : 'malformed-header');
  }
  try {
    return await verifyInTime(verify, token);
  } catch (error) {
    if (error instanceof TokenRefused) {
      logger.info('token refused', { kind: error.kind, reason: error.message });
      throw unauthenticated(error.kind);
    }
    if (error instanceof KeysUnavailable) {
      logger.warn('issuer keys unavailable', { reason: error.message });
      throw keysUnavailable();
    }
    throw error;
  }
}

const grants = new WeakMap<Event, Allowed>();
/** jwt mode: who called (the token's sub, else its client_id). */
const callers = new WeakMap<Event, string>();

/** 403 naming a scope that would allow the request (RFC 6750 3.1). */
const forbidden = (denied: Denied) =>
  new ApiError('FORBIDDEN', denied.reason, undefined, { 'www-authenticate': `Bearer error="insufficient_scope", scope="${denied.scope}"` });
const payerScopes = new WeakMap<Event, PayerScope>();

/** Identity (401) and the right to this route and user (403), before anything else runs. */
export function access(operation: Operation): middy.MiddlewareObj<Event, APIGatewayProxyStructuredResultV2> {
  return {
    before: async (request) => {
      const { event } = request;
      const pathUserId = event.pathParameters?.userId;
      const verify = containerVerifier();
      if (verify === 'off' || PUBLIC_OPERATIONS.has(operation)) {
        grants.set(event, { allowed: true, userId: pathUserId ?? 'default' });
        payerScopes.set(event, { all: true });
        return;
      }
      const claims = await caller(event, verify);
      // The request's log line names the caller (lib/telemetry/telemetry.ts).
      if (claims.sub !== undefined) (request.context as { caller?: Caller }).caller = { sub: claims.sub };
      if (isWebhookOperation(operation)) {
        // A payer's subscriptions: no user to act on.
        const granted = payerScope(claims);
        if (!granted.allowed) throw forbidden({ ...granted, scope: 'points:events' });
        grants.set(event, { allowed: true, userId: 'default' });
        payerScopes.set(event, granted.scope);
        return;
      }
      const grant = routeAccess(claims, operation, pathUserId, event.queryStringParameters?.payer);
      if (!grant.allowed) throw forbidden(grant);
      grants.set(event, grant);
      callers.set(event, claims.sub ?? claims.client_id ?? '');
    },
  };
}

function grantOf(event: Event): Allowed {
  const grant = grants.get(event);
  if (!grant) throw new Error('access() did not run before the handler');
  return grant;
}

/** Whose webhooks this request manages (set by access() for the webhook routes, and in AUTH_MODE=off). */
export function payerScopeOf(event: Event): PayerScope {
  const scope = payerScopes.get(event);
  if (!scope) throw new Error('access() did not grant a payer scope');
  return scope;
}

/** The user this request acts on: the path's, or on a bare route `sub` (jwt) or `default` (off). */
export const actingUser = (event: Event): string => grantOf(event).userId;

/** Once the body is valid: a partner's token may only move its own payer's points (403). */
export function checkBodyPayer(event: Event, body: unknown): void {
  const bodyPayer = body && typeof body === 'object' && 'payer' in body && typeof body.payer === 'string' ? body.payer : undefined;
  const checked = payerAccess(grantOf(event), bodyPayer);
  if (!checked.allowed) throw forbidden(checked);
}

/** The caller of a request in jwt mode (to scope its Idempotency-Keys); undefined in off mode. */
export const callerOf = (event: Event): string | undefined => callers.get(event);
