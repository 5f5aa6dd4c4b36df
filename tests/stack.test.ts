// The local stack (scripts/stack.ts) leaves nothing running when the process that started it dies
// without cleaning up: a SIGKILL, or `npm test | head` closing the pipe under it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/stack.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const dir = mkdtempSync(join(tmpdir(), 'points-stack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local stack', () => {
  it('stops DynamoDB Local when the process that started it is killed', async () => {
    const script = join(dir, 'owner.mts');
    writeFileSync(script, `import { startDynamo } from ${JSON.stringify(join(ROOT, 'scripts/stack.ts'))};
const dynamo = await startDynamo();
process.stdout.write(String(dynamo.process.pid) + '\\n');
setInterval(() => {}, 1000);
`);
    const owner = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const javaPid = await new Promise<number>((resolve, reject) => {
      owner.stdout.on('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      owner.once('exit', (code) => reject(new Error(`the owner exited (${code}) before DynamoDB Local was up`)));
    });
    try {
      expect(alive(javaPid)).toBe(true);
      owner.kill('SIGKILL');
      const deadline = Date.now() + 15_000;
      while (alive(javaPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(alive(javaPid)).toBe(false);
    } finally {
      if (alive(javaPid)) process.kill(javaPid, 'SIGKILL');
    }
  }, 90_000);
});
