// The console's webhooks panel in a real headless Chromium: a subscription with a failed delivery
// is listed with it, and its Retry button delivers it once the receiver is back. Skipped, and said
// so, where no Chromium can start.
import type { Browser } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.js';
import { apiUrl, call, newUser } from './support/http.js';
import { eventually, startReceiver } from './support/receiver.js';
import { addRecord, publish, webhookStore } from './support/webhooks.js';

const launched = await launchBrowser();
const skipped = 'reason' in launched ? launched.reason : undefined;
if (skipped) console.warn(`\n*** BROWSER TEST SKIPPED: ${skipped} ***\n`);
const browser = 'browser' in launched ? launched.browser : (undefined as unknown as Browser);

afterAll(async () => {
  await browser?.close();
});

it.skipIf(skipped !== undefined)('lists a failed delivery and retries it from the console', async () => {
  const down = await startReceiver();
  const port = down.port;
  await down.close(); // refused: every attempt fails at once
  const payer = `CONSOLE-${newUser()}`;
  const created = await call('POST', '/webhooks', { url: `http://127.0.0.1:${port}/hook`, payer });
  expect(created.status).toBe(201);
  try {
    const [event] = await publish(webhookStore(), [addRecord(newUser('wc'), 1, payer, 7)]);
    await eventually(async () => (await call('GET', `/webhooks/${created.body.id}/deliveries?status=failed`)).body.items.length === 1, 30_000, 'the failure');

    const page = await (await browser.newContext()).newPage();
    await page.goto(`${apiUrl()}/console`);
    await page.getByRole('button', { name: 'Load webhooks' }).click();
    const retry = page.getByRole('button', { name: `Retry the delivery of event ${event!.id}` });
    await retry.waitFor({ timeout: 30_000 });

    const back = await startReceiver(() => 200, port);
    back.secrets.push(created.body.secret);
    await retry.click();
    await eventually(() => back.delivered().length === 1, 30_000, 'the retried delivery');
    expect(back.delivered()[0]!.id).toBe(event!.id);
    await page.getByText(`Retrying event ${event!.id}`).waitFor({ timeout: 10_000 });
    await page.context().close();
    await back.close();
  } finally {
    await call('DELETE', `/webhooks/${created.body.id}`);
  }
});
