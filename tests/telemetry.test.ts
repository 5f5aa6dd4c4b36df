// Handlers invoked in-process (no HTTP) against DynamoDB Local: the one JSON log line each
// request writes and the EMF metric documents it publishes, read from the captured stdout.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
type Line = Record<string, any>;

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.secret-token-body.signature';
const PAYER = 'TELEMETRY-PAYER';

function event(method: 'GET' | 'POST', path: string, routeKey: string, body?: unknown, userId?: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    ...(userId ? { pathParameters: { userId } } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: `apigw-${randomUUID()}`,
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

const userEvent = (method: 'GET' | 'POST', userId: string, route: string, body?: unknown) =>
  event(method, `/users/${userId}/${route}`, `${method} /users/{userId}/${route}`, body, userId);

function context(functionName: string, caller?: { sub: string }): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...(caller ? { caller } : {}),
  } as Context;
}

/** Invokes the handler and returns its answer and every JSON line it wrote to stdout or stderr. */
async function invoke(handler: Handler, e: APIGatewayProxyEventV2, c: Context) {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const response = await handler(e, c);
    const lines: Line[] = written
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const requests = lines.filter((l) => l.message === 'request');
    const emf = lines.filter((l) => l._aws?.CloudWatchMetrics);
    return { response, raw: written.join(''), lines, requests, emf };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** The EMF document that carries `metric`, with its value, dimensions and namespace. */
function metric(emf: Line[], name: string) {
  const docs = emf.filter((d) => d._aws.CloudWatchMetrics[0].Metrics.some((m: { Name: string }) => m.Name === name));
  expect(docs, `one EMF document with ${name}`).toHaveLength(1);
  const doc = docs[0]!;
  const directive = doc._aws.CloudWatchMetrics[0];
  return { value: doc[name], namespace: directive.Namespace, dimensions: directive.Dimensions.flat() as string[], doc };
}

const handlers = async () => ({
  add: (await import('../functions/add.js')).handler as unknown as Handler,
  spend: (await import('../functions/spend.js')).handler as unknown as Handler,
  balance: (await import('../functions/balance.js')).handler as unknown as Handler,
  fallback: (await import('../functions/fallback.js')).handler as unknown as Handler,
});

let h: Awaited<ReturnType<typeof handlers>>;
const saved = { ...process.env };

beforeAll(async () => {
  process.env.TABLE_NAME = inject('table');
  process.env.DYNAMODB_ENDPOINT = inject('dynamoEndpoint');
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'PointsTest';
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand'; // as Lambda sets it: Powertools reports cold starts only then
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_DEV;
  delete process.env.POWERTOOLS_LOGGER_SAMPLE_RATE;
  h = await handlers();
});

afterEach(() => {
  for (const key of ['POWERTOOLS_LOGGER_SAMPLE_RATE']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

describe('request log line and metrics', () => {
  const user = `telemetry-${randomUUID().slice(0, 8)}`;

  it('a successful add: one INFO line with correlation id, function, route, user, caller, status, duration and DynamoDB requests; PointsAdded and ColdStart', async () => {
    const e = userEvent('POST', user, 'add', { payer: PAYER, points: 250, timestamp: '2024-01-01T00:00:00Z' });
    const { response, raw, requests, emf } = await invoke(h.add, e, context('points-dev-add', { sub: 'caller-sub-1' }));
    expect(response.statusCode).toBe(200);
    expect(requests).toHaveLength(1);
    const line = requests[0]!;
    expect(line).toMatchObject({
      level: 'INFO',
      correlation_id: e.requestContext.requestId,
      function_name: 'points-dev-add',
      route: 'POST /users/{userId}/add',
      userId: user,
      callerSub: 'caller-sub-1',
      status: 200,
      dynamoRequests: 2, // GetItem of the account, one TransactWriteItems
      conflictRetries: 0,
      cold_start: true,
    });
    expect(line.code).toBeUndefined();
    expect(line.durationMs).toBeGreaterThan(0);
    // No tokens, bodies or payers anywhere in what the request wrote.
    expect(raw).not.toContain(TOKEN);
    expect(raw).not.toContain(PAYER);
    expect(raw).not.toContain('2024-01-01T00:00:00Z');

    const added = metric(emf, 'PointsAdded');
    expect(added).toMatchObject({ value: 250, namespace: 'PointsTest' });
    expect(added.dimensions).toEqual(['service']);
    expect(added.doc.service).toBe('points');
    const cold = metric(emf, 'ColdStart');
    expect(cold.value).toBe(1);
    expect(cold.doc.function_name).toBe('points-dev-add');
  });

  it('a refusal: the line carries status and code; Refusals counted by code; nothing spent', async () => {
    const { response, requests, emf } = await invoke(h.spend, userEvent('POST', user, 'spend', { points: 1000 }), context('points-dev-spend'));
    expect(response.statusCode).toBe(400);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ level: 'INFO', status: 400, code: 'INSUFFICIENT_POINTS', userId: user, cold_start: false, conflictRetries: 0 });
    expect(requests[0]!.callerSub).toBeUndefined();
    const refusals = metric(emf, 'Refusals');
    expect(refusals.value).toBe(1);
    expect(refusals.dimensions).toContain('code');
    expect(refusals.doc.code).toBe('INSUFFICIENT_POINTS');
    expect(emf.some((d) => 'PointsSpent' in d || 'ColdStart' in d)).toBe(false);
  });

  it('a spend: PointsSpent is the points taken; a balance read publishes no metric', async () => {
    const spent = await invoke(h.spend, userEvent('POST', user, 'spend', { points: 40 }), context('points-dev-spend'));
    expect(spent.response.statusCode).toBe(200);
    expect(metric(spent.emf, 'PointsSpent').value).toBe(40);
    expect(spent.requests[0]).toMatchObject({ status: 200, dynamoRequests: 3 }); // GetItem, Query, TransactWriteItems

    const balance = await invoke(h.balance, userEvent('GET', user, 'balance'), context('points-dev-balance'));
    expect(balance.response.statusCode).toBe(200);
    expect(balance.requests[0]).toMatchObject({ level: 'INFO', route: 'GET /users/{userId}/balance', status: 200, dynamoRequests: 1 });
    expect(balance.emf).toEqual([]);
    expect(balance.lines).toHaveLength(1); // Powertools' "no metrics" notice is not a line at INFO
  });

  it('a spend over more lots than one transaction holds: RollForwardBatches counts the later transactions', async () => {
    const big = `telemetry-big-${randomUUID().slice(0, 8)}`;
    const { service } = await import('../lib/app.js');
    const { addBodySchema } = await import('../lib/domain/schemas/add.js');
    // Outside a handler: the service publishes nothing (no request is being measured).
    for (let i = 0; i < 100; i++) await service.add(big, addBodySchema.parse({ payer: 'P', points: 1, timestamp: '2024-01-01T00:00:00Z' }));
    const { response, requests, emf } = await invoke(h.spend, userEvent('POST', big, 'spend', { points: 100 }), context('points-dev-spend'));
    expect(response.statusCode).toBe(200);
    // 97 lots go with the spend itself; the other 3 take one roll-forward transaction.
    expect(metric(emf, 'RollForwardBatches').value).toBe(1);
    expect(metric(emf, 'PointsSpent').value).toBe(100);
    // GetItem, 2 Query pages, the first TransactWriteItems, then the roll-forward's Query of the
    // oldest open lots and its TransactWriteItems.
    expect(requests[0]).toMatchObject({ status: 200, dynamoRequests: 6 });
  });

  it('the fallback handler logs its 404 the same way', async () => {
    const { response, requests, emf } = await invoke(h.fallback, event('GET', '/nowhere', '$default'), context('points-dev-fallback'));
    expect(response.statusCode).toBe(404);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ level: 'INFO', route: '$default', status: 404, code: 'NOT_FOUND', dynamoRequests: 0 });
    expect(metric(emf, 'Refusals').doc.code).toBe('NOT_FOUND');
  });
});

describe('faults and debug sampling (handlers loaded again with other settings)', () => {
  it('a fault is one ERROR line with the stack, and the client gets a bare 500', async () => {
    vi.resetModules();
    process.env.TABLE_NAME = `missing-${randomUUID().slice(0, 8)}`;
    try {
      const { balance } = await handlers();
      const { response, requests } = await invoke(balance, userEvent('GET', 'fault-user', 'balance'), context('points-dev-balance'));
      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body!).code).toBe('INTERNAL');
      expect(requests).toHaveLength(1);
      const line = requests[0]!;
      expect(line).toMatchObject({ level: 'ERROR', status: 500, route: 'GET /users/{userId}/balance', userId: 'fault-user' });
      expect(line.code).toBeUndefined();
      expect(line.error.name).toBe('ResourceNotFoundException');
      expect(line.error.stack).toMatch(/ResourceNotFoundException[\s\S]*\n\s+at /);
    } finally {
      process.env.TABLE_NAME = inject('table');
    }
  });

  it('POWERTOOLS_LOGGER_SAMPLE_RATE=1 adds DEBUG lines for each DynamoDB request; by default there are none', async () => {
    const quiet = await invoke(h.balance, userEvent('GET', 'sampled-user', 'balance'), context('points-dev-balance'));
    expect(quiet.lines.filter((l) => l.level === 'DEBUG')).toEqual([]);

    vi.resetModules();
    process.env.POWERTOOLS_LOGGER_SAMPLE_RATE = '1';
    const { balance } = await handlers();
    const { requests, lines } = await invoke(balance, userEvent('GET', 'sampled-user', 'balance'), context('points-dev-balance'));
    const debug = lines.filter((l) => l.level === 'DEBUG' && l.message === 'dynamodb request');
    expect(debug.map((l) => l.command)).toEqual(['GetItemCommand']);
    expect(debug[0]!.correlation_id).toBe(requests[0]!.correlation_id);
    expect(requests[0]!.sampling_rate).toBe(1);
  });
});
