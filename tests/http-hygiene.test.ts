// What a scanner checks of every answer (SPEC "Errors", "Fields"): Cache-Control: no-store on every
// API answer, refusals and the catch-all included; a body only as Content-Type: application/json
// (415 UNSUPPORTED_MEDIA_TYPE otherwise, changing nothing; `call` sends a string body as is, under
// the Content-Type given); and every problem's `type` a page the
// service serves that documents its code.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../lib/domain/errors.js';
import { expectProblem, snapshot } from './support/expect.js';
import { add, apiUrl, call, newUser, spend } from './support/http.js';

const TS = '2024-01-01T00:00:00Z';

describe('Cache-Control: no-store on every API answer', () => {
  it('on answers, replays, refusals, 404 and 405', async () => {
    const user = newUser('cache');
    const answers = [
      await add(user, 'ACME', 100, TS, { 'idempotency-key': `k-${user}` }),
      await add(user, 'ACME', 100, TS, { 'idempotency-key': `k-${user}` }),
      await spend(user, 1),
      await call('GET', `/users/${user}/balance`),
      await call('GET', `/users/${user}/transactions`),
      await call('GET', '/openapi.json'),
      await spend(user, 1_000_000),
      await call('POST', `/users/${user}/add`, '{not json'),
      await call('GET', '/nowhere'),
      await call('DELETE', `/users/${user}/balance`),
      await call('POST', `/users/${user}/spends/no-such-spend/reverse`),
    ];
    expect(answers.map((a) => [a.status, a.headers.get('cache-control')])).toEqual(
      [200, 200, 200, 200, 200, 200, 400, 400, 404, 405, 404].map((status) => [status, 'no-store']),
    );
  });
});

describe('415 UNSUPPORTED_MEDIA_TYPE: a body must be application/json', () => {
  const json = '{"points":1}';
  it.each([
    ['text/plain (a cross-site form can send it)', { 'content-type': 'text/plain' }, json],
    ['text/plain; charset=utf-8', { 'content-type': 'text/plain; charset=utf-8' }, json],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'points=1'],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\n\r\n{"points":1}\r\n--x--'],
    ['a JSON-like type that is not JSON', { 'content-type': 'application/jsonx' }, json],
    ['octet-stream', { 'content-type': 'application/octet-stream' }, json],
  ])('refuses %s and changes nothing', async (_name, headers, body) => {
    const user = newUser('media');
    expect((await add(user, 'ACME', 100, TS)).status).toBe(200);
    const before = await snapshot(user);
    expectProblem(await call('POST', `/users/${user}/spend`, body, headers), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectProblem(await call('POST', `/users/${user}/add`, JSON.stringify({ payer: 'X', points: 5, timestamp: TS }), headers), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await snapshot(user)).toEqual(before);
  });

  it('refuses a body with no Content-Type at all, as API Gateway passes it', async () => {
    // In-process: serverless-offline fills in application/json for a body sent without a type, so
    // over the local stack such a body is taken as JSON; API Gateway passes the headers as sent.
    const { handler } = await import('../functions/spend.js');
    const user = newUser('media');
    const event = {
      version: '2.0', routeKey: 'POST /users/{userId}/spend', rawPath: `/users/${user}/spend`, rawQueryString: '', headers: {}, pathParameters: { userId: user },
      requestContext: { http: { method: 'POST', path: `/users/${user}/spend` }, requestId: 'no-type', routeKey: 'POST /users/{userId}/spend' },
      body: json, isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const answer = await handler(event, { awsRequestId: 'no-type', functionName: 'spend', getRemainingTimeInMillis: () => 10_000 } as unknown as Context);
    expect([answer.statusCode, JSON.parse(answer.body!).code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('accepts JSON with parameters and in any case', async () => {
    const user = newUser('media');
    expect((await add(user, 'ACME', 100, TS)).status).toBe(200);
    for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8']) {
      expect((await call('POST', `/users/${user}/spend`, '{"points":1}', { 'content-type': type })).status, type).toBe(200);
    }
  });

  it('lets a reversal without a body through without a Content-Type, but not with another type', async () => {
    const user = newUser('media');
    expect((await add(user, 'ACME', 100, TS)).status).toBe(200);
    const spent = await spend(user, 10);
    const spendId = (await call('GET', `/users/${user}/transactions`)).body.items.find((i: any) => i.type === 'spend').id;
    expect(spent.status).toBe(200);
    const before = await snapshot(user);
    expectProblem(await call('POST', `/users/${user}/spends/${spendId}/reverse`, undefined, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await snapshot(user)).toEqual(before);
    expect((await fetch(`${apiUrl()}/users/${user}/spends/${spendId}/reverse`, { method: 'POST' })).status).toBe(200);
  });
});

describe('a problem\'s type is a page of the service documenting its code', () => {
  it.each(ERROR_CODES)('%s', async (code) => {
    const page = await fetch(new URL(`/problems/${code}`, apiUrl()));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain(code);
  });

  it('is the absolute type of the answers themselves, replays included, and an unknown code is 404', async () => {
    const user = newUser('type');
    const refusal = await spend(user, 1, { 'idempotency-key': `k-${user}` });
    const replay = await spend(user, 1, { 'idempotency-key': `k-${user}` });
    expect([replay.headers.get('idempotent-replayed'), replay.text]).toEqual(['true', refusal.text]);
    for (const answer of [await call('GET', '/nowhere'), refusal, await call('POST', '/spend', '{'), await call('GET', '/docs/no-such-file.js')]) {
      expect(answer.body.type).toBe(`${apiUrl()}/problems/${answer.body.code}`);
      const page = await fetch(answer.body.type);
      expect([page.status, (await page.text()).includes(answer.body.code)]).toEqual([200, true]);
    }
    expectProblem(await call('GET', '/problems/NO_SUCH_CODE'), 404, 'NOT_FOUND');
  });
});
