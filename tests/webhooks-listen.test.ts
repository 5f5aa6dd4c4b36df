// `npm run webhooks:listen` against the run's stack: it subscribes, prints one verified line per
// event, and removes its subscription on Ctrl-C (SIGINT).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../scripts/stack.js';
import { add, apiUrl, call, newUser } from './support/http.js';
import { eventually } from './support/receiver.js';

it('subscribes, prints each event verified, and unsubscribes on Ctrl-C', async () => {
  const payer = `LISTEN-${newUser()}`;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/webhooks-listen.ts'), '--payer', payer], { cwd: ROOT, env: { ...process.env, API_URL: apiUrl() } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  try {
    const id = (await eventually(() => /Listening on \S+ as (wh_\w+)/.exec(out), 30_000, 'the listener'))[1]!;
    const user = newUser('wl');
    expect((await add(user, payer, 25, new Date().toISOString())).status).toBe(200);
    await eventually(() => out.includes('points.added'), 30_000, 'the event line');
    expect(out).toMatch(new RegExp(`points\\.added\\s+user=${user} seq=1 payer="${payer}" points=25\\s+${user}\\.\\S+ ✓`));
    expect(out).not.toContain('REFUSED');
    child.kill('SIGINT');
    await eventually(() => out.includes(`Removed ${id}.`), 10_000, 'the removal');
    expect((await call('GET', `/webhooks/${id}`)).status).toBe(404);
  } finally {
    child.kill('SIGKILL');
  }
});
