// The command-line tools some tests run on the served API description (linters, a client
// generator, tsc): child processes, offline (tests/support/offline.cjs fails and reports every
// network connection they try), working in a scratch folder under .tmp/ (git-ignored).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROOT } from '../../scripts/stack.js';
import { call } from './http.js';

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

const OFFLINE = join(ROOT, 'tests/support/offline.cjs');

/** Runs node_modules/.bin/<tool> to its end, whatever its exit code; fails the test if it tried the network. */
export async function runTool(tool: string, args: string[], cwd = ROOT): Promise<ToolRun> {
  const run = await new Promise<ToolRun>((resolve, reject) => {
    execFile(
      join(ROOT, 'node_modules/.bin', tool),
      args,
      {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        // Redocly CLI sends usage data and checks for updates unless told not to.
        env: { ...process.env, NODE_OPTIONS: `--require ${OFFLINE}`, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
  expect(run.stderr.split('\n').filter((line) => line.startsWith('offline:')), `${tool} tried the network`).toEqual([]);
  return run;
}

/** A fresh folder under .tmp/, and how to remove it. */
export function scratch(label: string) {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.tmp', `${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The document GET /openapi.json serves, as the run's API serves it, saved in `dir`; its path. */
export async function servedDocument(dir: string): Promise<string> {
  const answer = await call('GET', '/openapi.json');
  expect(answer.status).toBe(200);
  const file = join(dir, 'openapi.json');
  writeFileSync(file, answer.text);
  return file;
}
