// The route table: serverless.yml wires these (a test checks it), the fallback handler answers
// 404/405 from it, and the OpenAPI document lists it.
import type { WebhookOperation } from '../auth/access.js';

export type PageOperation = 'docs' | 'console';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway path template. */
  path: string;
  operation: 'add' | 'spend' | 'balance' | 'transactions' | 'reverse' | 'hold' | 'capture' | 'release' | 'openapi' | 'problems' | 'events' | 'statements' | PageOperation | WebhookOperation;
}

const userRoutes = (method: Route['method'], operation: Route['operation'], path: string = operation): Route[] => [
  { method, path: `/${path}`, operation },
  { method, path: `/users/{userId}/${path}`, operation },
];

export const isPageRoute = (route: Route): route is Route & { operation: PageOperation } => route.operation === 'docs' || route.operation === 'console';
export const isApiRoute = (route: Route): route is Route & { operation: Exclude<Route['operation'], PageOperation> } => !isPageRoute(route);

/** An HTML page and the files it loads (content-hashed names, so they can be cached for good). */
const pageRoutes = (operation: PageOperation): Route[] => [
  { method: 'GET', path: `/${operation}`, operation },
  { method: 'GET', path: `/${operation}/{asset}`, operation },
];

export const ROUTES: readonly Route[] = [
  ...userRoutes('POST', 'add'),
  ...userRoutes('POST', 'spend'),
  ...userRoutes('GET', 'balance'),
  ...userRoutes('GET', 'transactions'),
  ...userRoutes('POST', 'reverse', 'spends/{spendId}/reverse'),
  ...userRoutes('POST', 'hold', 'holds'),
  ...userRoutes('POST', 'capture', 'holds/{holdId}/capture'),
  ...userRoutes('POST', 'release', 'holds/{holdId}/release'),
  { method: 'GET', path: '/events', operation: 'events' },
  { method: 'GET', path: '/statements', operation: 'statements' },
  { method: 'POST', path: '/webhooks', operation: 'createWebhook' },
  { method: 'GET', path: '/webhooks', operation: 'listWebhooks' },
  { method: 'GET', path: '/webhooks/{webhookId}', operation: 'getWebhook' },
  { method: 'DELETE', path: '/webhooks/{webhookId}', operation: 'deleteWebhook' },
  { method: 'POST', path: '/webhooks/{webhookId}/rotate-secret', operation: 'rotateWebhookSecret' },
  { method: 'GET', path: '/webhooks/{webhookId}/deliveries', operation: 'listWebhookDeliveries' },
  { method: 'POST', path: '/webhooks/{webhookId}/deliveries/{deliveryId}/retry', operation: 'retryWebhookDelivery' },
  { method: 'GET', path: '/openapi.json', operation: 'openapi' },
  // What each error code means: every problem's `type` (lib/domain/errors.ts).
  { method: 'GET', path: '/problems/{code}', operation: 'problems' },
  ...pageRoutes('docs'),
  ...pageRoutes('console'),
];

const matcher = (template: string) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+').replaceAll('.', '\\.')}$`);

/** The methods allowed on a path; empty when no route has that path. */
export function allowedMethods(path: string): string[] {
  return ROUTES.filter((route) => matcher(route.path).test(path)).map((route) => route.method);
}
