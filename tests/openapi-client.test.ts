// A TypeScript client generated from the served /openapi.json (openapi-typescript, offline) and a
// small program using it with openapi-fetch (tests/fixtures/openapi-client/): the program
// type-checks, the types refuse what the service refuses, and SPEC's canonical example run
// through it against the local stack answers as SPEC says.
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../scripts/stack.js';
import { BALANCE_ANSWER, CANONICAL_ADDS, CANONICAL_SPEND, SPEND_ANSWER } from './support/canonical.js';
import { apiUrl, newUser } from './support/http.js';
import { runTool, scratch, servedDocument } from './support/tools.js';

const PROGRAM = join(ROOT, 'tests/fixtures/openapi-client');

let folder: ReturnType<typeof scratch>;
beforeAll(async () => {
  folder = scratch('openapi-client');
  for (const name of readdirSync(PROGRAM)) copyFileSync(join(PROGRAM, name), join(folder.dir, name));
  const document = await servedDocument(folder.dir);
  const generated = await runTool('openapi-typescript', [document, '--output', join(folder.dir, 'schema.ts')], folder.dir);
  expect(generated.code, generated.stderr).toBe(0);
});
afterAll(() => folder.remove());

it('generates a client whose program type-checks, refusing by type what the service refuses', async () => {
  const checked = await runTool('tsc', ['-p', folder.dir]);
  expect(checked.stdout + checked.stderr).toBe('');
  expect(checked.code).toBe(0);
});

it('runs the canonical example through the generated client', async () => {
  // Typed here by hand: the root project does not compile the fixture, whose schema is generated.
  type Program = { canonical(baseUrl: string, userId: string, adds: typeof CANONICAL_ADDS, points: number): Promise<{ breakdown: unknown; balances: unknown }> };
  const program = (await import(join(folder.dir, 'canonical.ts'))) as Program;
  const { breakdown, balances } = await program.canonical(apiUrl(), newUser('oapi'), CANONICAL_ADDS, CANONICAL_SPEND);
  expect(JSON.stringify(breakdown)).toBe(SPEND_ANSWER);
  expect(JSON.stringify(balances)).toBe(BALANCE_ANSWER);
});
