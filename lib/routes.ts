// The route table: serverless.yml wires these (a test checks it), the fallback handler answers
// 404/405 from it, and the OpenAPI document lists it.
export interface Route {
  method: 'GET' | 'POST';
  /** API Gateway path template. */
  path: string;
  operation: 'add' | 'spend' | 'balance' | 'transactions' | 'reverse' | 'openapi';
}

const userRoutes = (method: Route['method'], operation: Route['operation'], path: string = operation): Route[] => [
  { method, path: `/${path}`, operation },
  { method, path: `/users/{userId}/${path}`, operation },
];

export const ROUTES: readonly Route[] = [
  ...userRoutes('POST', 'add'),
  ...userRoutes('POST', 'spend'),
  ...userRoutes('GET', 'balance'),
  ...userRoutes('GET', 'transactions'),
  ...userRoutes('POST', 'reverse', 'spends/{spendId}/reverse'),
  { method: 'GET', path: '/openapi.json', operation: 'openapi' },
];

const matcher = (template: string) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+').replaceAll('.', '\\.')}$`);

/** The methods allowed on a path; empty when no route has that path. */
export function allowedMethods(path: string): string[] {
  return ROUTES.filter((route) => matcher(route.path).test(path)).map((route) => route.method);
}
