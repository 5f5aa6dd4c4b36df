// `serverless package` (offline, no AWS account) and the CloudFormation template it produces:
// the table as the store expects it, every route wired, and least-privilege IAM.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../lib/table.js';
import { ROUTES } from '../lib/routes.js';
import { ROOT } from '../scripts/stack.js';

type Resource = { Type: string; Properties: Record<string, any> };
let resources: Record<string, Resource>;
let artifacts: string[];
const out = mkdtempSync(join(tmpdir(), 'points-package-'));
const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example';

// As in a deployment pipeline: no local overrides of the table or endpoint.
const { TABLE_NAME: _table, DYNAMODB_ENDPOINT: _endpoint, AUTH_ISSUER: _issuer, ...pipelineEnv } = process.env;
const serverlessPackage = (env: NodeJS.ProcessEnv, dir: string) =>
  promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--package', dir], { cwd: ROOT, env });

beforeAll(async () => {
  // AUTH_MODE=off here must not reach a deployed stage.
  await serverlessPackage({ ...pipelineEnv, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: 'points', AUTH_MODE: 'off' }, out);
  resources = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
  artifacts = readdirSync(out).filter((f) => f.endsWith('.zip'));
}, 180_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

describe('serverless package', () => {
  it('declares the table exactly as the store creates it locally, with TTL on idempotency records', () => {
    const [table] = ofType('AWS::DynamoDB::Table');
    const expected = tableDefinition('ignored');
    const sortByName = <T extends { IndexName?: string; AttributeName?: string }>(list: T[] = []) =>
      [...list].sort((a, b) => String(a.IndexName ?? a.AttributeName).localeCompare(String(b.IndexName ?? b.AttributeName)));
    expect(table!.Properties.BillingMode).toBe(expected.BillingMode);
    expect(sortByName(table!.Properties.AttributeDefinitions)).toEqual(sortByName(expected.AttributeDefinitions));
    expect(table!.Properties.KeySchema).toEqual(expected.KeySchema);
    expect(sortByName(table!.Properties.LocalSecondaryIndexes)).toEqual(sortByName(expected.LocalSecondaryIndexes));
    expect(table!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('wires every route of lib/routes.ts, plus the catch-all, and nothing else', () => {
    const keys = ofType('AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey).sort();
    expect(keys).toEqual([...ROUTES.map((r) => `${r.method} ${r.path}`), '$default'].sort());
  });

  it('grants only the DynamoDB actions the store uses, only on the table and its indexes', () => {
    const [role] = ofType('AWS::IAM::Role');
    const statements = role!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const dynamo = statements.filter((s: any) => s.Action.some((a: string) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    // GetItem/BatchGetItem (account, idempotency), Query (lots, ledger), PutItem (refusals),
    // UpdateItem and PutItem inside TransactWriteItems. No Scan, no DeleteItem, no table admin.
    expect([...dynamo[0].Action].sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    const tableArn = { 'Fn::GetAtt': ['PointsTable', 'Arn'] };
    expect(dynamo[0].Resource).toEqual([tableArn, { 'Fn::Join': ['/', [tableArn, 'index', '*']] }]);
  });

  it('gives every function the table name and a bundle of its own', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(new Set(ROUTES.map((r) => r.operation)).size + 1);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables.TABLE_NAME).toBe('points-dev');
      expect(fn.Properties.Runtime).toBe('nodejs20.x');
    }
    expect(artifacts).toHaveLength(functions.length);
  });

  it('runs every function with AUTH_MODE=jwt and the issuer it was packaged with', () => {
    for (const fn of ofType('AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ AUTH_MODE: 'jwt', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: 'points' });
    }
  });

  it('refuses to package without AUTH_ISSUER, naming the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'points-package-'));
    try {
      const failure = await serverlessPackage({ ...pipelineEnv, AUTH_MODE: 'jwt' }, dir).then(
        () => undefined,
        (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
      );
      expect(failure).toMatch(/AUTH_ISSUER is not set/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
