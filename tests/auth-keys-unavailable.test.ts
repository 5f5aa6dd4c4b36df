// SPEC "Bounded and honest under faults" for the token check: when the issuer's keys cannot be had
// in time (a key server that hangs, answers too slowly, answers garbage, or refuses connections),
// every request ends within 10 s with 503 SERVICE_UNAVAILABLE and Retry-After, never a 401 that
// blames the token nor a 500, and nothing is stored. The budget starts with the invocation and one
// fetch attempt may take about 1 s (lib/auth/jwt-keys.ts).
import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../lib/dynamo/client.js';
import { DynamoStore } from '../lib/dynamo/store.js';
import { PointsService } from '../lib/service/service.js';
import { freePort } from '../scripts/stack.js';
import { expectProblem } from './support/expect.js';
import { newUser, type Answer } from './support/http.js';
import { startJwtStack } from './support/jwt-stack.js';
import { jwks, token } from './support/tokens.js';

const TABLE = 'points-keys-unavailable';
type Mode = 'hang' | 'slow' | 'garbage' | 'not-a-key-set';
let mode: Mode = 'hang';
let stack: Awaited<ReturnType<typeof startJwtStack>> | undefined;
let server: Server | undefined;
const held: ServerResponse[] = [];

const answers: Record<Mode, (response: ServerResponse) => void> = {
  hang: (response) => held.push(response),
  // The right keys, 2.5 s late: within the 3 s aws-jwt-verify allows, past this service's 1 s.
  slow: (response) => setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)), 2_500),
  garbage: (response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>gateway error</html>'),
  'not-a-key-set': (response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":"none"}'),
};

beforeAll(async () => {
  server = createServer((_request, response) => answers[mode](response));
  const port = await freePort();
  await new Promise<void>((listening) => server!.listen(port, '127.0.0.1', listening));
  stack = await startJwtStack(TABLE, { AUTH_JWKS: '', AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` });
}, 180_000);

afterAll(async () => {
  for (const response of held) response.destroy();
  server?.close();
  await stack?.stop();
});

const admin = { authorization: `Bearer ${token({ sub: 'ops', scope: 'points:admin' })}` };

/** A request that must be answered within SPEC's 10 s: the client gives up after that. */
async function bounded(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<any>> {
  const response = await fetch(`${stack!.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

async function expectNothingStored(user: string) {
  const client = createClient(stack!.dynamoEndpoint);
  try {
    const service = new PointsService(new DynamoStore(client, TABLE));
    expect(await service.balance(user)).toEqual([]);
    expect((await service.transactions(user, 0, 10)).items).toEqual([]);
  } finally {
    client.destroy();
  }
}

async function expectUnavailable(user: string) {
  const requests = [
    bounded('POST', `/users/${user}/add`, { payer: 'ACME', points: 10, timestamp: '2024-01-01T00:00:00Z' }, { ...admin, 'idempotency-key': `k-${user}` }),
    bounded('POST', `/users/${user}/spend`, { points: 1 }, admin),
    bounded('GET', `/users/${user}/balance`, undefined, admin),
    bounded('GET', `/users/${user}/transactions`, undefined, admin),
  ];
  for (const answer of await Promise.all(requests)) {
    expectProblem(answer, 503, 'SERVICE_UNAVAILABLE');
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
  }
  await expectNothingStored(user);
}

describe('the issuer\'s keys out of reach: 503 within 10 s, nothing stored', () => {
  it.each<Mode>(['hang', 'slow', 'garbage', 'not-a-key-set'])('a key server that answers %s', async (which) => {
    mode = which;
    await expectUnavailable(newUser(which));
  }, 30_000);

  it('a key server that refuses connections', async () => {
    await new Promise((closed) => {
      for (const response of held) response.destroy();
      server!.close(closed);
    });
    await expectUnavailable(newUser('refused'));
  }, 30_000);
});
