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
import { KeysUnavailable, TokenRefused, authConfig, createVerifier, type TokenVerifier } from '../auth/jwt.js';
import type { Caller } from '../telemetry/telemetry.js';

type Event = APIGatewayProxyEventV2;
type Allowed = Extract<Grant, { allowed: true }>;

const REALM = 'Bearer realm="points"';

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

const unauthenticated = (detail: string, tokenSent: boolean) =>
  new ApiError('UNAUTHENTICATED', detail, undefined, { 'www-authenticate': tokenSent ? `${REALM}, error="invalid_token"` : REALM });

async function caller(event: Event, verify: TokenVerifier): Promise<Claims> {
  const authorization = header(event, 'authorization');
  const token = /^Bearer +([^\s]+) *$/i.exec(authorization ?? '')?.[1];
  if (token === undefined) {
    throw unauthenticated(authorization === undefined ? 'This route needs Authorization: Bearer <token>.' : 'The Authorization header is not of the form "Bearer <token>".', false);
  }
  try {
    return await verify(token);
  } catch (error) {
    if (error instanceof TokenRefused) throw unauthenticated(`The token is not accepted: ${error.message}`, true);
    if (error instanceof KeysUnavailable) throw new ApiError('SERVICE_UNAVAILABLE', 'The token could not be checked now; nothing was applied.');
    throw error;
  }
}

const grants = new WeakMap<Event, Allowed>();
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
        if (!granted.allowed) throw new ApiError('FORBIDDEN', granted.reason);
        grants.set(event, { allowed: true, userId: 'default' });
        payerScopes.set(event, granted.scope);
        return;
      }
      const grant = routeAccess(claims, operation, pathUserId, event.queryStringParameters?.payer);
      if (!grant.allowed) throw new ApiError('FORBIDDEN', grant.reason);
      grants.set(event, grant);
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
  if (!checked.allowed) throw new ApiError('FORBIDDEN', checked.reason);
}
