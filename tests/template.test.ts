// `serverless package` (offline, no AWS account) and the CloudFormation template it produces:
// the table as the store expects it, every route wired, least-privilege IAM, the runtime, the
// alarms and throttling, cfn-lint's verdict on the whole template, and a packaged bundle's first
// DynamoDB request as Lambda would send it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsTableDefinition } from '../lib/dynamo/events-table.js';
import { tableDefinition } from '../lib/dynamo/table.js';
import { webhookTableDefinition } from '../lib/dynamo/webhooks.js';
import { ROUTES } from '../lib/http/routes.js';
import { DEV_ISSUER, devIssuerEnv } from '../scripts/dev-issuer.js';
import { ROOT } from '../scripts/stack.js';
import { readZipEntry } from './support/zip.js';
import { ISSUER as TEST_ISSUER, jwks, token } from './support/tokens.js';

type Resource = { Type: string; Condition?: string; Properties: Record<string, any> };
let template: Record<string, any>;
let resources: Record<string, Resource>;
let artifacts: string[];
const out = mkdtempSync(join(tmpdir(), 'points-package-'));
const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example';

// As in a deployment pipeline: no local overrides of the table or endpoint.
const { TABLE_NAME: _table, DYNAMODB_ENDPOINT: _endpoint, AUTH_ISSUER: _issuer, POWERTOOLS_METRICS_DISABLED: _metrics, ...pipelineEnv } = process.env;
const serverlessPackage = (env: NodeJS.ProcessEnv, dir: string) =>
  promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--package', dir], { cwd: ROOT, env });

beforeAll(async () => {
  // AUTH_MODE=off here must not reach a deployed stage.
  await serverlessPackage({ ...pipelineEnv, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: 'points', AUTH_MODE: 'off' }, out);
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
  artifacts = readdirSync(out).filter((f) => f.endsWith('.zip'));
}, 180_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

describe('serverless package', () => {
  it('declares the table exactly as the store creates it locally, with TTL on idempotency records', () => {
    const table = resources.PointsTable;
    const expected = tableDefinition('ignored');
    const sortByName = <T extends { IndexName?: string; AttributeName?: string }>(list: T[] = []) =>
      [...list].sort((a, b) => String(a.IndexName ?? a.AttributeName).localeCompare(String(b.IndexName ?? b.AttributeName)));
    expect(table!.Properties.BillingMode).toBe(expected.BillingMode);
    expect(sortByName(table!.Properties.AttributeDefinitions)).toEqual(sortByName(expected.AttributeDefinitions));
    expect(table!.Properties.KeySchema).toEqual(expected.KeySchema);
    expect(sortByName(table!.Properties.LocalSecondaryIndexes)).toEqual(sortByName(expected.LocalSecondaryIndexes));
    expect(table!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(sortByName(table!.Properties.GlobalSecondaryIndexes)).toEqual(sortByName(expected.GlobalSecondaryIndexes));
    expect(table!.Properties.StreamSpecification).toEqual({ StreamViewType: expected.StreamSpecification!.StreamViewType });
  });

  it('declares the events table as the consumer creates it locally, and three tables only (the webhooks\' below)', () => {
    const events = resources.EventsTable!;
    const expected = eventsTableDefinition('ignored');
    expect(events.Properties).toMatchObject({ BillingMode: expected.BillingMode, AttributeDefinitions: expected.AttributeDefinitions, KeySchema: expected.KeySchema });
    expect(events.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(ofType('AWS::DynamoDB::Table')).toHaveLength(3);
  });

  it('feeds the stream consumer with committed ledger records only, reporting partial failures, with an on-failure queue', () => {
    const [mapping, ...more] = ofType('AWS::Lambda::EventSourceMapping');
    expect(more).toEqual([]);
    expect(mapping!.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['PointsTable', 'StreamArn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['StreamFailureQueue', 'Arn'] } } },
    });
    expect(JSON.parse(mapping!.Properties.FilterCriteria.Filters[0].Pattern)).toEqual({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'T#' }] } } } });
    const [rule] = ofType('AWS::Events::Rule');
    expect(rule!.Properties.ScheduleExpression).toBe('rate(10 minutes)');
  });

  it('wires every route of lib/http/routes.ts, plus the catch-all, and nothing else', () => {
    const keys = ofType('AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey).sort();
    expect(keys).toEqual([...ROUTES.map((r) => `${r.method} ${r.path}`), '$default'].sort());
  });

  it('grants only the DynamoDB actions the store uses, only on the table and its indexes', () => {
    const role = resources.IamRoleLambdaExecution;
    const statements = role!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    // The webhooks table has its own statement (the next test).
    const webhooks = statements.filter((s: any) => JSON.stringify(s.Resource).includes('WebhooksTable'));
    const dynamo = statements.filter((s: any) => s.Action.some((a: string) => a.startsWith('dynamodb:')) && !webhooks.includes(s));
    // The tables' statement, and the one serverless adds for the stream event source.
    const [tables, stream, ...more] = dynamo;
    expect(more).toEqual([]);
    // GetItem/BatchGetItem (account, idempotency), Query (lots, ledger), PutItem (refusals),
    // UpdateItem and PutItem inside TransactWriteItems. No Scan, no DeleteItem, no table admin.
    expect([...tables.Action].sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    const tableArn = { 'Fn::GetAtt': ['PointsTable', 'Arn'] };
    expect(tables.Resource).toEqual([tableArn, { 'Fn::Join': ['/', [tableArn, 'index', '*']] }, { 'Fn::GetAtt': ['EventsTable', 'Arn'] }]);
    expect([...stream.Action].sort()).toEqual(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']);
    expect(stream.Resource).toEqual([{ 'Fn::GetAtt': ['PointsTable', 'StreamArn'] }]);
    const queue = statements.filter((s: any) => s.Action.some((a: string) => a.startsWith('sqs:')));
    // serverless' own statement for the on-failure destination: the stream's queue only.
    expect(queue.map((s: any) => [[...s.Action].sort(), s.Resource])).toEqual([[['sqs:ListQueues', 'sqs:SendMessage'], [{ 'Fn::GetAtt': ['StreamFailureQueue', 'Arn'] }]]]);
    // Everything else is the functions' own log groups: metrics travel in the logs (EMF), so
    // no cloudwatch:PutMetricData, and nothing on "*".
    const others = statements.filter((s: any) => !dynamo.includes(s) && !queue.includes(s) && !webhooks.includes(s));
    expect(others.flatMap((s: any) => s.Action).sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:TagResource']);
    for (const s of others) for (const r of s.Resource) expect(r['Fn::Sub']).toMatch(/:log-group:\/aws\/lambda\/points-dev\*:/);
    expect(ofType('AWS::IAM::Role')).toHaveLength(2);
  });

  it('runs the functions that never touch the table (pages, problems, OpenAPI, catch-all) with no DynamoDB rights', () => {
    const roleOf = (name: string) => resources[`${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`]!.Properties.Role['Fn::GetAtt'][0];
    const tableFree = ['docs', 'console', 'problems', 'openapi', 'fallback'];
    for (const name of tableFree) expect(roleOf(name), name).toBe('NoTableRole');
    for (const name of ['add', 'spend', 'balance', 'transactions', 'reverse']) expect(roleOf(name), name).toBe('IamRoleLambdaExecution');
    const statements = resources.NoTableRole!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    expect(statements.flatMap((s: any) => s.Action).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    // Only their own log groups.
    const groups = statements.flatMap((s: any) => s.Resource).map((r: any) => /log-group:(\S+):\*$/.exec(r['Fn::Sub'])![1]).sort();
    expect(groups).toEqual(tableFree.map((name) => `/aws/lambda/points-dev-${name}`).sort());
  });

  it('writes HTTP API access logs (request id, route, status, latency; no token or header), kept as long as the functions\'', () => {
    const [stage] = ofType('AWS::ApiGatewayV2::Stage');
    const settings = stage!.Properties.AccessLogSettings;
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status', responseLatencyMs: '$context.responseLatency' });
    expect(settings.Format).not.toMatch(/authorization|header|authorizer\.(?!claims\.sub)/i);
    const logGroup = resources[settings.DestinationArn['Fn::GetAtt'][0]]!;
    const functionGroups = ofType('AWS::Logs::LogGroup').filter((g) => String(g.Properties.LogGroupName).startsWith('/aws/lambda/'));
    expect(functionGroups.length).toBeGreaterThan(0);
    for (const group of functionGroups) expect(logGroup.Properties.RetentionInDays).toBe(group.Properties.RetentionInDays);
  });

  it('declares the webhooks table as the deliverer creates it locally, and grants on it only what lib/dynamo/webhooks.ts sends', () => {
    const table = resources.WebhooksTable!;
    const expected = webhookTableDefinition('ignored');
    expect(table.Properties.BillingMode).toBe(expected.BillingMode);
    expect(table.Properties.AttributeDefinitions).toEqual(expected.AttributeDefinitions);
    expect(table.Properties.KeySchema).toEqual(expected.KeySchema);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(expected.GlobalSecondaryIndexes);
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const [role] = ofType('AWS::IAM::Role');
    const statements = role!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const [webhooks, ...more] = statements.filter((s: any) => JSON.stringify(s.Resource).includes('WebhooksTable'));
    expect(more).toEqual([]);
    expect([...webhooks.Action].sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    const arn = { 'Fn::GetAtt': ['WebhooksTable', 'Arn'] };
    expect(webhooks.Resource).toEqual([arn, { 'Fn::Join': ['/', [arn, 'index', '*']] }]);
  });

  it('gives every function the table name and a bundle of its own', () => {
    const functions = ofType('AWS::Lambda::Function');
    // The routes' functions, the fallback, the stream consumer, the sweep and the webhook deliverer.
    expect(functions).toHaveLength(new Set(ROUTES.map((r) => r.operation)).size + 4);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables.TABLE_NAME).toBe('points-dev');
    }
    expect(artifacts).toHaveLength(functions.length);
  });

  it('runs every function on Node.js 24 on arm64, with JWT authentication on', () => {
    for (const fn of ofType('AWS::Lambda::Function')) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Environment.Variables.AUTH_MODE).toBe('jwt');
      expect(fn.Properties.Environment.Variables.POWERTOOLS_METRICS_DISABLED).toBe('false');
    }
  });

  it('alarms on API 5xx, on every function\'s errors and throttles, and on the table\'s system errors and throttling, all to one topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    const [topic, ...moreTopics] = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SNS::Topic');
    expect(moreTopics).toEqual([]);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic![0] }]);
    const watching = (namespace: string, name: string) => alarms.filter((a) => a.Properties.Namespace === namespace && a.Properties.MetricName === name);
    expect(watching('AWS/ApiGateway', '5xx').map((a) => a.Properties.Dimensions)).toEqual([[{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }]]);
    const functionIds = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => id).sort();
    for (const metric of ['Errors', 'Throttles']) {
      const watched = watching('AWS/Lambda', metric).map((a) => a.Properties.Dimensions[0].Value.Ref).sort();
      expect(watched, metric).toEqual(functionIds);
    }
    for (const metric of ['SystemErrors', 'ThrottledRequests']) {
      const [alarm, ...more] = alarms.filter((a) => a.Properties.Metrics?.some((m: any) => m.MetricStat?.Metric.MetricName === metric));
      expect(more).toEqual([]);
      const stats = alarm!.Properties.Metrics.filter((m: any) => m.MetricStat);
      for (const m of stats) expect(m.MetricStat.Metric.Dimensions).toContainEqual({ Name: 'TableName', Value: { Ref: 'PointsTable' } });
      // Every operation the store sends, summed.
      const operations = stats.map((m: any) => m.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'Operation').Value);
      expect(operations).toEqual(expect.arrayContaining(['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'TransactWriteItems']));
      expect(alarm!.Properties.Metrics.filter((m: any) => m.ReturnData !== false)).toHaveLength(1);
    }
    // The stream consumer: falling behind, and records set aside.
    expect(watching('AWS/Lambda', 'IteratorAge').map((a) => [a.Properties.Dimensions[0].Value.Ref, a.Properties.Statistic, a.Properties.Threshold])).toEqual([['StreamLambdaFunction', 'Maximum', 300_000]]);
    expect(watching('AWS/SQS', 'ApproximateNumberOfMessagesVisible').map((a) => a.Properties.Dimensions[0].Value)).toEqual([{ 'Fn::GetAtt': ['StreamFailureQueue', 'QueueName'] }]);
    // The email subscription exists only when an address is given.
    const [subscription] = ofType('AWS::SNS::Subscription');
    expect(subscription!.Condition).toBe('HasAlarmEmail');
    expect(template.Parameters.AlarmEmail.Default).toBe('');
    expect(template.Conditions.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }] });
  });

  it('throttles the HTTP API\'s default route and keeps the table on removal', () => {
    const [stage] = ofType('AWS::ApiGatewayV2::Stage');
    expect(stage!.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    const table = Object.values(template.Resources as Record<string, any>).find((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('passes cfn-lint with no errors (skipped, and said so, where cfn-lint is not installed)', async (ctx) => {
    const file = join(out, 'cloudformation-template-update-stack.json');
    let stdout: string;
    try {
      // Exit status 2 = errors, 4 = warnings, 8 = informational: read the findings, not the status.
      ({ stdout } = await promisify(execFile)('cfn-lint', ['--format', 'json', file]).catch((error: any) => {
        if (error.code === 'ENOENT') throw error;
        return { stdout: error.stdout as string };
      }));
    } catch {
      // Not a silent skip: the run prints this, and vitest lists the test as skipped.
      console.warn('SKIPPED: cfn-lint is not on PATH, so the CloudFormation template was not linted (pip install cfn-lint).');
      ctx.skip();
      return;
    }
    const findings = JSON.parse(stdout) as { Level: string; Rule: { Id: string }; Message: string }[];
    const errors = findings.filter((f) => f.Level === 'Error');
    expect(errors.map((f) => `${f.Rule.Id}: ${f.Message}`)).toEqual([]);
  });

  it('runs every function with AUTH_MODE=jwt and the issuer it was packaged with', () => {
    for (const fn of ofType('AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ AUTH_MODE: 'jwt', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: 'points' });
    }
  });

  /**
   * Runs a packaged function's bundle as Lambda would (its environment, an HTTP API event): its
   * first outgoing HTTP request is caught as it is sent (nothing leaves the machine), else its answer.
   */
  async function invokeBundle(name: string, env: Record<string, string>, request: { path: string; routeKey: string; headers?: Record<string, string>; pathParameters?: Record<string, string> }) {
    const dir = mkdtempSync(join(tmpdir(), 'points-bundle-'));
    try {
      const bundle = readZipEntry(join(out, `${name}.zip`), `functions/${name}.mjs`);
      writeFileSync(join(dir, `${name}.mjs`), bundle);
      writeFileSync(
        join(dir, 'probe.mjs'),
        `import http from 'node:http';
        const report = (result) => { process.stdout.write('\\nPROBE ' + JSON.stringify(result) + '\\n'); process.exit(0); };
        http.ClientRequest.prototype.end = function () {
          const header = (name) => this.getHeader(name);
          report({ sent: { host: header('host'), authorization: header('authorization'), token: header('x-amz-security-token'), target: header('x-amz-target'), agent: header('user-agent') } });
        };
        const { handler } = await import('./${name}.mjs');
        const request = ${JSON.stringify(request)};
        const event = { version: '2.0', routeKey: request.routeKey, rawPath: request.path, rawQueryString: '', headers: request.headers ?? {}, pathParameters: request.pathParameters,
          requestContext: { http: { method: 'GET', path: request.path }, requestId: 'test', routeKey: request.routeKey }, isBase64Encoded: false };
        report({ answer: await handler(event, { getRemainingTimeInMillis: () => 10000, awsRequestId: 'test', functionName: '${name}' }) });`,
      );
      const lambda = { PATH: process.env.PATH!, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDPOINTSTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session-token', TABLE_NAME: 'points-dev', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(dir, 'probe.mjs')], { env: { ...lambda, ...env } });
      const result = JSON.parse(stdout.split('\n').find((line) => line.startsWith('PROBE '))!.slice(6)) as { sent?: Record<string, string>; answer?: { statusCode: number; headers: Record<string, string>; body: string } };
      return { ...result, logs: `${stdout}${stderr}`.split('\n').filter((line) => line.startsWith('{')), bundle };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** What Lambda sets in every function (serverless-offline sets them too, and IS_OFFLINE=true). */
  const IN_LAMBDA = { AWS_LAMBDA_FUNCTION_NAME: 'points-dev-balance', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', LAMBDA_TASK_ROOT: '/var/task' };
  const balanceRequest = { path: '/users/alice/balance', routeKey: 'GET /users/{userId}/balance', pathParameters: { userId: 'alice' } };
  const jwtSettings = { AUTH_MODE: 'jwt', AUTH_ISSUER: TEST_ISSUER, AUTH_AUDIENCE: 'points', AUTH_JWKS: JSON.stringify(jwks), AUTH_JWKS_URL: '' };

  it('sends a packaged function\'s requests to the region\'s DynamoDB, signed with the role\'s credentials', async () => {
    // The SDK parts scripts/bundle-aliases.cjs swaps out must not be on that path.
    const { sent, bundle } = await invokeBundle('balance', { ...IN_LAMBDA, ...jwtSettings }, { ...balanceRequest, headers: { authorization: `Bearer ${token({ sub: 'alice', scope: 'points:read' })}` } });
    // Importing node:process as a module costs a cold start stdin, stdout, stderr and the
    // report module (lib/dynamo/shims/node-process.ts): the alias must have replaced every such import.
    expect(bundle.toString().match(/import[^;]{0,80}from\s*"(node:)?process"/g)).toBeNull();
    expect(sent!.host).toBe('dynamodb.eu-west-1.amazonaws.com');
    expect(sent!.target).toBe('DynamoDB_20120810.GetItem');
    expect(sent!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDPOINTSTEST\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, /);
    expect(sent!.token).toBe('session-token');
    // The SDK reads Node's version through the alias of node:process.
    expect(sent!.agent).toContain(`md/nodejs#${process.versions.node}`);
  }, 30_000);

  it.each([
    ['AUTH_MODE unset', { AUTH_MODE: '' }],
    ['AUTH_MODE=off', { AUTH_MODE: 'off' }],
    ['an unknown AUTH_MODE', { AUTH_MODE: 'JWT ' }],
    ['keys over http://', { AUTH_JWKS: '', AUTH_JWKS_URL: 'http://keys.internal.example/jwks.json' }],
    ['an http:// issuer and no key settings', { AUTH_JWKS: '', AUTH_JWKS_URL: '', AUTH_ISSUER: 'http://issuer.internal.example' }],
  ])('fails closed in Lambda with %s: 500 problem+json naming nothing, one log line saying why', async (_name, settings) => {
    for (const [name, request] of [['balance', balanceRequest], ['docs', { path: '/docs', routeKey: 'GET /docs' }], ['fallback', { path: '/x', routeKey: '$default' }]] as const) {
      const { sent, answer, logs } = await invokeBundle(name, { ...IN_LAMBDA, ...jwtSettings, ...settings }, request);
      expect(sent, name).toBeUndefined();
      expect(answer!.statusCode, name).toBe(500);
      expect(answer!.headers['content-type']).toBe('application/problem+json');
      const problem = JSON.parse(answer!.body);
      expect(problem.code).toBe('INTERNAL');
      expect(answer!.body).not.toMatch(/AUTH_|http:|keys\.internal|issuer\.internal|off|jwt/i);
      const why = logs.filter((line) => line.includes('Refusing to serve'));
      expect(why, name).toHaveLength(1);
      expect(why[0]).not.toMatch(/keys\.internal|issuer\.internal/);
    }
  }, 60_000);

  it('serves under serverless-offline (IS_OFFLINE=true) with AUTH_MODE=off, as the local stack does', async () => {
    const { sent } = await invokeBundle('balance', { ...IN_LAMBDA, IS_OFFLINE: 'true', AUTH_MODE: 'off' }, balanceRequest);
    expect(sent!.target).toBe('DynamoDB_20120810.GetItem');
  }, 30_000);

  const packageFailure = async (env: NodeJS.ProcessEnv) => {
    const dir = mkdtempSync(join(tmpdir(), 'points-package-'));
    try {
      const failure = await serverlessPackage({ ...pipelineEnv, AUTH_MODE: 'jwt', ...env }, dir).then(
        () => undefined,
        (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
      );
      return { failure, written: readdirSync(dir) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('refuses to package without AUTH_ISSUER, naming the variable', async () => {
    expect(await packageFailure({})).toEqual({ failure: expect.stringMatching(/AUTH_ISSUER is not set/), written: [] });
  }, 120_000);

  it('refuses to package with DYNAMODB_ENDPOINT set: only serverless offline may use it', async () => {
    expect(await packageFailure({ AUTH_ISSUER: ISSUER, DYNAMODB_ENDPOINT: 'http://127.0.0.1:8001' })).toEqual({
      failure: expect.stringMatching(/DYNAMODB_ENDPOINT is set .*local stack only/s),
      written: [],
    });
  }, 120_000);

  it('refuses to package the local development issuer, by its iss or by its key set', async () => {
    const refused = { failure: expect.stringMatching(/local development issuer/), written: [] };
    const dev = await devIssuerEnv();
    expect(await packageFailure({ AUTH_ISSUER: DEV_ISSUER, AUTH_JWKS: JSON.stringify(jwks) })).toEqual(refused);
    expect(await packageFailure({ AUTH_ISSUER: ISSUER, AUTH_JWKS: dev.AUTH_JWKS! })).toEqual(refused);
  }, 180_000);

  it('refuses to package keys fetched over plain HTTP, given or by the issuer\'s default', async () => {
    const refused = { failure: expect.stringMatching(/fetches them only over https:\/\//), written: [] };
    expect(await packageFailure({ AUTH_ISSUER: ISSUER, AUTH_JWKS_URL: 'http://keys.example/jwks.json' })).toEqual(refused);
    expect(await packageFailure({ AUTH_ISSUER: 'http://issuer.example' })).toEqual(refused);
  }, 180_000);
});
