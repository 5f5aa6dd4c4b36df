// /openapi.json against the standard linters: Spectral (spectral:oas and the OWASP ruleset, as
// .spectral.yaml sets them) and Redocly's recommended rules (redocly.yaml), run as their CLIs on
// the document the local stack serves, offline. No errors, and only the warnings docs/openapi.md
// explains. Also what the document promises about every route, whoever adds it.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, PROBLEMS, type ErrorCode } from '../lib/domain/errors.js';
import { newId } from '../lib/domain/ids.js';
import { PROBLEM_LIMITS } from '../lib/domain/limits.js';
import { ledgerIdMeta } from '../lib/domain/schemas/fields.js';
import { problemSchema } from '../lib/domain/schemas/responses.js';
import { ROOT } from '../scripts/stack.js';
import { call } from './support/http.js';
import { runTool, scratch, servedDocument } from './support/tools.js';

/** docs/openapi.md "Warnings that remain", rule by rule. */
const EXPLAINED_WARNINGS = [
  'owasp:api2:2023-read-restricted',
  'owasp:api8:2023-define-error-responses-401',
  'owasp:api8:2023-define-error-validation',
  'owasp:api4:2023-string-restricted',
];

interface SpectralResult {
  code: string;
  message: string;
  path: string[];
  severity: number;
}

describe('the served /openapi.json under the linters', () => {
  let folder: ReturnType<typeof scratch>;
  let file: string;
  beforeAll(async () => {
    folder = scratch('openapi-lint');
    file = await servedDocument(folder.dir);
  });
  afterAll(() => folder.remove());

  it('has no Spectral errors (OpenAPI and OWASP rules), and no warnings besides those explained', async () => {
    const run = await runTool('spectral', ['lint', file, '--ruleset', join(ROOT, '.spectral.yaml'), '--format', 'json', '--quiet']);
    expect(run.stdout, run.stderr).toMatch(/^\s*\[/);
    const results = JSON.parse(run.stdout) as SpectralResult[];
    const show = (r: SpectralResult) => `${r.code} at ${r.path.join('.')}: ${r.message}`;
    expect(results.filter((r) => r.severity === 0).map(show)).toEqual([]);
    expect(results.filter((r) => r.severity === 1 && !EXPLAINED_WARNINGS.includes(r.code)).map(show)).toEqual([]);
  });

  it("passes Redocly's recommended rules", async () => {
    const run = await runTool('redocly', ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json']);
    expect(run.stdout, run.stderr).toMatch(/^\s*\{/);
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});

describe('what /openapi.json promises on every route', () => {
  type Operation = { requestBody?: unknown; parameters: { name: string; in: string }[]; responses: Record<string, any>; tags: string[]; description: string };
  const operations = async () => {
    const document = (await call('GET', '/openapi.json')).body;
    return Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
    );
  };

  it('a body brings 400, 413, 415, 422 and an Idempotency-Key; every route 429 and 500; every refusal is problem+json', async () => {
    for (const { name, operation } of await operations()) {
      const statuses = Object.keys(operation.responses);
      if (operation.requestBody) {
        expect(statuses, name).toEqual(expect.arrayContaining(['400', '413', '415', '422']));
        expect(operation.parameters.filter((p) => p.name === 'Idempotency-Key' && p.in === 'header'), name).toHaveLength(1);
      }
      expect(statuses, name).toEqual(expect.arrayContaining(['429', '500']));
      for (const status of statuses.filter((s) => s !== '429' && Number(s) >= 400)) {
        expect(operation.responses[status].content['application/problem+json'].schema, `${name} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
      }
      expect(operation.tags, name).toHaveLength(1);
      expect(operation.description, name).toBeTruthy();
    }
  });

  it('names under each refusal status the codes of that status, and only those', async () => {
    for (const { name, operation } of await operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const codes = [...String(response.description).matchAll(/^- `([A-Z_]+)`/gm)].map((m) => m[1] as ErrorCode);
        for (const code of codes) expect(PROBLEMS[code]?.status, `${name} ${status} ${code}`).toBe(Number(status));
        if (status !== '429' && Number(status) >= 400) expect(codes.length, `${name} ${status}`).toBeGreaterThan(0);
      }
    }
  });
});

describe('the bounds the document states hold for what the service sends', () => {
  it('ledger ids, up to the largest sequence number', () => {
    for (const seq of [1, 42, Number.MAX_SAFE_INTEGER]) {
      const id = newId(seq);
      expect(id).toMatch(new RegExp(ledgerIdMeta.pattern));
      expect(id.length).toBeLessThanOrEqual(ledgerIdMeta.maxLength);
    }
  });

  it('problems: every code, and the clipped free text of any refusal', () => {
    const long = 'x'.repeat(20_000);
    for (const code of Object.keys(PROBLEMS) as ErrorCode[]) {
      const errors = Array.from({ length: 500 }, (_, i) => ({ path: `${long}${i}`, message: long }));
      const problem = new ApiError(code, long, errors).toProblem();
      expect(problemSchema.safeParse(problem).success, code).toBe(true);
      expect(problem.errors).toHaveLength(PROBLEM_LIMITS.errors);
      expect([...problem.detail]).toHaveLength(PROBLEM_LIMITS.detail);
    }
  });

  it('problems: a short one is left as it is', () => {
    const errors = [{ path: 'points', message: 'must be an integer' }];
    expect(new ApiError('VALIDATION_FAILED', 'The body is not valid.', errors).toProblem()).toMatchObject({ detail: 'The body is not valid.', errors });
  });
});
