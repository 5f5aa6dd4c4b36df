// Assertions shared by the HTTP tests: SPEC's problem shape, and "a refusal changes nothing".
import { expect } from 'vitest';
import { balance, ledger, type Answer } from './http.js';

/** Frames of a stack trace or paths of source files: a refusal must show neither. */
export function expectNoInternals(answer: Answer<any>) {
  expect(answer.text).not.toMatch(/\bat\s+\S+\s+\(/); // "    at fn (file:1:2)"
  expect(answer.text).not.toMatch(/\bat\s+(?:file:\/\/|\/)\S+:\d+/); // "    at /x/y.js:1:2"
  expect(answer.text).not.toMatch(/node_modules|\/work\/|\.(?:ts|js|mjs):\d+/);
}

/** RFC 9457 problem, as SPEC "Errors" describes it. */
export function expectProblem(answer: Answer<any>, status: number, code: string) {
  expect({ status: answer.status, code: answer.body?.code }, answer.text).toEqual({ status, code });
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.headers.get('cache-control')).toBe('no-store');
  const problem = answer.body;
  expect(typeof problem.type).toBe('string');
  expect(problem.type.length).toBeGreaterThan(0);
  expect(typeof problem.title).toBe('string');
  expect(problem.title.length).toBeGreaterThan(0);
  expect(problem.status).toBe(answer.status);
  expect(typeof problem.detail).toBe('string');
  if (code === 'VALIDATION_FAILED') {
    expect(Array.isArray(problem.errors)).toBe(true);
    expect(problem.errors.length).toBeGreaterThan(0);
    for (const error of problem.errors) {
      expect(Object.keys(error).sort()).toEqual(['message', 'path']);
      expect(typeof error.path).toBe('string');
      expect(typeof error.message).toBe('string');
      expect(error.message.length).toBeGreaterThan(0);
    }
  }
  expectNoInternals(answer);
}

/** Everything a client can observe of a user: its balance (as sent) and its whole ledger. */
export async function snapshot(user: string) {
  const answer = await balance(user);
  expect(answer.status).toBe(200);
  return { balance: answer.text, ledger: await ledger(user) };
}
