// SPEC "Identity and access" as a pure function: which user a verified token may act on, for
// which operation, and with which payer. lib/http/auth.ts applies it to requests.
import * as z from 'zod/mini';
import { userIdSchema } from '../domain/schemas/fields.js';
import type { PayerScope } from '../domain/webhooks/subscriptions.js';

/**
 * Every operation the rules know. lib/http/handler.ts passes a route's operation here, so a route the
 * rules do not know is a compile error, not an open door.
 */
export type Operation = 'add' | 'spend' | 'balance' | 'transactions' | 'reverse' | 'hold' | 'capture' | 'release' | 'openapi' | 'problems' | 'docs' | 'console' | PayerOperation | WebhookOperation;

/** Operations on a payer (its `payer` query parameter), not on a user. */
export type PayerOperation = 'events' | 'statements';
export const PAYER_OPERATIONS: ReadonlySet<Operation> = new Set<PayerOperation>(['events', 'statements']);

/** SPEC "Webhooks": the routes that manage a payer's subscriptions, not a user's points. */
export const WEBHOOK_OPERATIONS = ['createWebhook', 'listWebhooks', 'getWebhook', 'deleteWebhook', 'rotateWebhookSecret', 'listWebhookDeliveries', 'retryWebhookDelivery'] as const;
export type WebhookOperation = (typeof WEBHOOK_OPERATIONS)[number];
export const isWebhookOperation = (operation: Operation): operation is WebhookOperation => (WEBHOOK_OPERATIONS as readonly string[]).includes(operation);

export const SCOPES = {
  'points:read': 'GET balance and transactions of the user `sub`',
  'points:spend': 'POST spend, and holds with their capture and release, for the user `sub`',
  'points:earn': 'POST add for any user, only with `payer` equal to the token\'s `payer` claim',
  'points:events': 'GET /events and GET /statements for the token\'s `payer` claim, and that payer\'s webhooks',
  'points:admin': 'every route for every user, reversals included',
} as const;
export type Scope = keyof typeof SCOPES;

/** The claims the rules read, from a token whose signature and times were already checked. */
export const claimsSchema = z.object({
  sub: z.optional(z.string()),
  scope: z.pipe(
    z.optional(z.string()),
    z.transform((s: string | undefined) => (s ?? '').split(' ').filter(Boolean)),
  ),
  payer: z.optional(z.string()),
  /** The app client a Cognito access token was issued to (a partner's token may name no sub). */
  client_id: z.optional(z.string()),
});
export type Claims = z.output<typeof claimsSchema>;

/** Operations anyone may call, token or not. */
export const PUBLIC_OPERATIONS: ReadonlySet<Operation> = new Set(['openapi', 'problems', 'docs', 'console']);

/**
 * The scope that grants an operation short of points:admin: on the caller's own user, or for
 * points:earn on any user (with the token's payer). Operations missing here need points:admin.
 */
const OPERATION_SCOPE: Partial<Record<Operation, Scope>> = {
  balance: 'points:read',
  transactions: 'points:read',
  spend: 'points:spend',
  hold: 'points:spend',
  capture: 'points:spend',
  release: 'points:spend',
  add: 'points:earn',
  events: 'points:events',
  statements: 'points:events',
};

/** The scopes each of which allows an operation; none for the public ones (the OpenAPI document lists these). */
export function scopesFor(operation: Operation): Scope[] {
  if (PUBLIC_OPERATIONS.has(operation)) return [];
  if (isWebhookOperation(operation)) return ['points:events', 'points:admin'];
  const scope = OPERATION_SCOPE[operation];
  return scope ? [scope, 'points:admin'] : ['points:admin'];
}

export type Grant =
  | { allowed: true; userId: string; /** the body's payer must be this one (a partner's add) */ payer?: string }
  | { allowed: false; reason: string; /** a scope that would allow it (RFC 6750 3.1) */ scope: Scope };

const deny = (reason: string, scope: Scope = 'points:admin'): Grant => ({ allowed: false, reason, scope });

/**
 * What a token may do on a route, before the body is read: the user it acts on (the path's
 * user, or `sub` on a bare route) and, for a partner's add, the payer the body must name.
 */
export function routeAccess(claims: Claims, operation: Operation, pathUserId: string | undefined, queryPayer?: string): Grant {
  if (PUBLIC_OPERATIONS.has(operation)) return { allowed: true, userId: pathUserId ?? 'default' };
  if (PAYER_OPERATIONS.has(operation)) return payerRouteAccess(claims, operation, queryPayer);
  const target = pathUserId ?? claims.sub;
  if (target === undefined || (pathUserId === undefined && !userIdSchema.safeParse(target).success)) {
    // No scope makes a bare route name a user; the route's own scope is the one to ask for.
    return deny('The token names no user (its sub is not a userId) for a route without /users/{userId}.', scopesFor(operation)[0]);
  }
  const has = (scope: Scope) => claims.scope.includes(scope);
  if (has('points:admin')) return { allowed: true, userId: target };
  const scope = OPERATION_SCOPE[operation];
  if (scope === undefined) return deny(`The operation ${operation} needs the scope points:admin.`);
  // On another user, only an add's scope would do; anything else takes points:admin there.
  if (!has(scope)) return deny(`The operation ${operation} needs the scope ${scope}.`, operation === 'add' || target === claims.sub ? scope : 'points:admin');
  if (operation === 'add') {
    if (claims.payer === undefined) return deny('The token has points:earn but no payer claim naming whose points it may move.');
    return { allowed: true, userId: target, payer: claims.payer };
  }
  if (target !== claims.sub) return deny(`The token may only act on its own user (${claims.sub ?? 'none'}), not on ${target}.`);
  return { allowed: true, userId: target };
}

/**
 * A payer's feed or statement: points:admin any payer, points:events the token's own. A missing
 * `payer` passes here, to be refused as invalid input (400) by the query's schema.
 */
function payerRouteAccess(claims: Claims, operation: Operation, queryPayer: string | undefined): Grant {
  const allowed: Grant = { allowed: true, userId: 'default' };
  if (claims.scope.includes('points:admin')) return allowed;
  if (!claims.scope.includes('points:events')) return deny(`The operation ${operation} needs the scope points:events.`);
  if (claims.payer === undefined) return deny('The token has points:events but no payer claim naming whose events it may read.');
  if (queryPayer !== undefined && queryPayer !== claims.payer) return deny(`The token may only read the events of the payer ${JSON.stringify(claims.payer)}, not ${JSON.stringify(queryPayer)}.`);
  return allowed;
}

/** Once the body is valid: a partner may only move the points of the payer its token names. */
export function payerAccess(grant: Grant, bodyPayer: string | undefined): Grant {
  if (!grant.allowed || grant.payer === undefined || grant.payer === bodyPayer) return grant;
  return deny(`The token may only add points for the payer ${JSON.stringify(grant.payer)}, not ${JSON.stringify(bodyPayer)}.`);
}

/**
 * Whose webhooks a token manages (SPEC "Webhooks"): points:admin every payer's (and subscriptions
 * to every event), points:events only its own payer's; without a payer claim, none.
 */
export function payerScope(claims: Claims): { allowed: true; scope: PayerScope } | { allowed: false; reason: string } {
  if (claims.scope.includes('points:admin')) return { allowed: true, scope: { all: true } };
  if (!claims.scope.includes('points:events')) return { allowed: false, reason: 'Webhooks need the scope points:events (for the token\'s payer) or points:admin.' };
  if (claims.payer === undefined) return { allowed: false, reason: 'The token has points:events but no payer claim naming whose events it may receive.' };
  return { allowed: true, scope: { all: false, payer: claims.payer } };
}

/** Both checks in one: the whole rule, as the property tests state it. */
export function authorize(claims: Claims, request: { operation: Operation; pathUserId?: string; bodyPayer?: string; queryPayer?: string }): Grant {
  return payerAccess(routeAccess(claims, request.operation, request.pathUserId, request.queryPayer), request.bodyPayer);
}
