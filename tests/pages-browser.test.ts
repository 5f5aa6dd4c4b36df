// The pages in a real headless Chromium (playwright-core): the API reference lists every route
// and can call one; the console shows, records and refuses as SPEC "Pages" says, in jwt mode with
// a token, on a 375 px phone, and with the keyboard alone. When no Chromium can start, the whole
// file is skipped and says so in its name and on the console, never silently.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROUTES } from '../lib/http/routes.js';
import { ROOT, freePort, startApi, type Running } from '../scripts/stack.js';
import { launchBrowser } from './support/browser.js';
import { add, apiUrl, call, ledger, newUser, spend } from './support/http.js';

// The browser globals that page.evaluate() callbacks use (they run in the page, not in Node).
type PageElement = { id: string; matches(selector: string): boolean };
declare const document: { activeElement: PageElement | null; documentElement: { scrollWidth: number } };
declare const window: { innerWidth: number };
declare function getComputedStyle(element: PageElement): { outlineStyle: string };

const launched = await launchBrowser();
const skipped = 'reason' in launched ? launched.reason : undefined;
if (skipped) console.warn(`\n*** BROWSER TESTS SKIPPED: ${skipped} ***\n`);
const browser = 'browser' in launched ? launched.browser : (undefined as unknown as Browser);

const SHOTS = join(ROOT, '.screenshots');
mkdirSync(SHOTS, { recursive: true });
const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 900 };

afterAll(async () => {
  await browser?.close();
});

/** A fresh tab that fails the test on any request to another origin or any CSP violation. */
async function open(base: string, path: string, viewport = DESKTOP): Promise<Page & { faults: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = Object.assign(await context.newPage(), { faults: [] as string[] });
  const origin = new URL(base).origin;
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) page.faults.push(`request to ${request.url()}`);
  });
  page.on('console', (message) => {
    // Refusals are expected here (Chromium logs each 4xx); a blocked script or style is not.
    if (/Content Security Policy|Refused to/i.test(message.text())) page.faults.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => page.faults.push(`page error: ${error.message}`));
  await page.goto(`${base}${path}`);
  return page;
}

async function close(page: Page & { faults: string[] }, shot: string) {
  await page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: true });
  await page.context().close();
  expect(page.faults).toEqual([]);
}

/** Waits for the page to get there: a loaded 2-core machine can take seconds per request. */
const eventually = <T>(value: () => T | Promise<T>) => expect.poll(value, { timeout: 30_000, interval: 100 });

const text = (page: Page, selector: string) => page.locator(selector).first().textContent({ timeout: 20_000 });
const status = (page: Page) => page.locator('#status').textContent();

/** The console showing `user` (and using `token`). */
async function consoleFor(base: string, user: string, options: { token?: string; viewport?: typeof DESKTOP } = {}) {
  const page = await open(base, '/console', options.viewport);
  await page.getByLabel('User id').fill(user);
  if (options.token) await page.getByLabel('Bearer token').fill(options.token);
  await page.getByRole('button', { name: 'Show' }).click();
  await eventually(() => status(page)).toBe(user ? `Showing user ${user}.` : 'Showing the default user.');
  return page;
}

const numbersTable = (page: Page) =>
  page.locator('#balances tbody tr').evaluateAll((rows) => rows.map((row) => [row.querySelector('th')!.textContent, row.querySelector('td')!.textContent]));
const chartBars = (page: Page) =>
  page.locator('#chart g.bar').evaluateAll((bars) => bars.map((bar) => [bar.getAttribute('data-payer'), bar.querySelector('.value')!.textContent, Number(bar.querySelector('rect')!.getAttribute('width'))]));

async function canonicalAdds(user: string) {
  for (const [payer, points, timestamp] of [
    ['DANNON', 300, '2022-10-31T10:00:00Z'],
    ['UNILEVER', 200, '2022-10-31T11:00:00Z'],
    ['DANNON', -200, '2022-10-31T15:00:00Z'],
    ['MILLER COORS', 10000, '2022-11-01T14:00:00Z'],
    ['DANNON', 1000, '2022-11-02T14:00:00Z'],
  ] as const) {
    expect((await add(user, payer, points, timestamp)).status).toBe(200);
  }
}

async function addByForm(page: Page, payer: string, points: string, timestamp: string) {
  const form = page.locator('#add');
  await form.getByLabel('Payer').fill(payer);
  await form.getByLabel('Points').fill(points);
  await form.getByLabel('Timestamp').fill(timestamp);
  await form.getByRole('button', { name: 'Add' }).click();
}

/** Presses Tab until `selector` has the focus: proves it is reachable by keyboard, in order. */
async function tabTo(page: Page, selector: string) {
  for (let presses = 0; presses < 60; presses++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      // Visible focus: the focused control draws an outline.
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline, `focus outline of ${selector}`).not.toBe('none');
      return;
    }
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} cannot be reached with Tab`);
}

describe.skipIf(skipped)(skipped ? `browser tests SKIPPED: ${skipped}` : `pages in Chromium (${'source' in launched ? launched.source : ''})`, { timeout: 120_000 }, () => {
  describe('GET /docs', () => {
    it('lists every route, and "Try it out" on GET /balance gets a 200 from this origin', async () => {
      const page = await open(apiUrl(), '/docs');
      await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
      const listed = await page.locator('.opblock').evaluateAll((blocks) =>
        blocks.map((block) => `${block.querySelector('.opblock-summary-method')!.textContent} ${block.querySelector('.opblock-summary-path')!.getAttribute('data-path')}`),
      );
      expect(listed.sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());

      const balance = page.locator('#operations-points-balance');
      await balance.locator('.opblock-summary-control').click();
      await balance.getByRole('button', { name: 'Try it out' }).click();
      const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/balance');
      await balance.getByRole('button', { name: 'Execute' }).click();
      expect((await answered).status()).toBe(200);
      await eventually(() => balance.locator('.live-responses-table tbody .response-col_status').first().textContent()).toBe('200');
      await close(page, 'docs-desktop');
    });
  });

  describe('GET /console', () => {
    it('an add updates the chart and the numbers', async () => {
      const user = newUser('pg-add');
      const page = await consoleFor(apiUrl(), user);
      expect(await text(page, '#total')).toBe('Total: 0 points from 0 payers');
      await addByForm(page, 'DANNON', '300', '2022-10-31T10:00:00Z');
      await eventually(() => status(page)).toBe(`Recorded +300 points from DANNON for user ${user}.`);
      await addByForm(page, 'UNILEVER', '1200', '2022-10-31T11:00:00Z');
      await eventually(() => numbersTable(page)).toEqual([['DANNON', '300'], ['UNILEVER', '1,200']]);
      const bars = await chartBars(page);
      expect(bars.map(([payer, value]) => [payer, value])).toEqual([['DANNON', '300'], ['UNILEVER', '1,200']]);
      expect(bars[1]![2]).toBeCloseTo(4 * bars[0]![2], 0); // bars in proportion
      expect(await text(page, '#total')).toBe('Total: 1,500 points from 2 payers');
      // The ledger shows each lot with what remains of it.
      expect(await page.locator('#ledger-items li.add').allTextContents()).toEqual([
        expect.stringMatching(/DANNON · remaining 300 of 300/),
        expect.stringMatching(/UNILEVER · remaining 1,200 of 1,200/),
      ]);
      await close(page, 'console-add');
    });

    it('a spend shows its breakdown, and the lots what remains of them', async () => {
      const user = newUser('pg-spend');
      await canonicalAdds(user);
      const page = await consoleFor(apiUrl(), user);
      await page.locator('#spend').getByLabel('Points').fill('5000');
      await page.locator('#spend').getByRole('button', { name: 'Spend' }).click();
      await eventually(() => status(page)).toBe(`Spent for user ${user}: DANNON −100, UNILEVER −200, MILLER COORS −4,700.`);
      const spendItem = page.locator('#ledger-items li.spend').last();
      expect(await spendItem.locator('.breakdown li').allTextContents()).toEqual(['DANNON −100', 'UNILEVER −200', 'MILLER COORS −4,700']);
      expect(await spendItem.textContent()).toContain('reversed 0 of 5,000');
      await eventually(() => numbersTable(page)).toEqual([['DANNON', '1,000'], ['UNILEVER', '0'], ['MILLER COORS', '5,300']]);
      const remaining = await page.locator('#ledger-items li.add').allTextContents();
      expect(remaining.filter((item) => item.includes('remaining')).map((item) => item.match(/remaining [\d,]+ of [\d,]+/)![0])).toEqual([
        'remaining 0 of 300',
        'remaining 0 of 200',
        'remaining 5,300 of 10,000',
        'remaining 1,000 of 1,000',
      ]);
      await close(page, 'console-spend');
    });

    it('a reversal shows on the spend and as its own ledger item', async () => {
      const user = newUser('pg-rev');
      await canonicalAdds(user);
      expect((await spend(user, 5000)).status).toBe(200);
      const page = await consoleFor(apiUrl(), user);
      const spendItem = page.locator('#ledger-items li.spend').last();
      const spendId = await spendItem.getAttribute('data-id');
      await spendItem.getByRole('button', { name: /^Reverse spend/ }).click();
      expect(await page.locator('#reverse').getByLabel('Spend id').inputValue()).toBe(spendId);
      await page.locator('#reverse').getByLabel('Points').fill('200');
      await page.locator('#reverse').getByRole('button', { name: 'Reverse' }).click();
      await eventually(() => status(page)).toBe(`Reversed 200 points of spend ${spendId}: MILLER COORS +200.`);
      expect(await page.locator(`#ledger-items li.spend[data-id="${spendId}"]`).textContent()).toContain('reversed 200 of 5,000');
      const reversal = page.locator('#ledger-items li.reversal').last();
      expect(await reversal.textContent()).toContain(`of spend ${spendId}`);
      expect(await reversal.locator('.breakdown li').allTextContents()).toEqual(['MILLER COORS +200']);
      await eventually(() => numbersTable(page)).toEqual([['DANNON', '1,000'], ['UNILEVER', '0'], ['MILLER COORS', '5,500']]);
      // What the page shows is what the API recorded.
      const items = await ledger(user);
      expect(items.find((item) => item.id === spendId)?.reversed).toBe(200);
      await close(page, 'console-reversal');
    });

    it('holds show their status with capture and release buttons; pending lots show when they become available', async () => {
      const user = newUser('pg-hold');
      await canonicalAdds(user);
      const first = await call('POST', `/users/${user}/holds`, { points: 5000 });
      const second = await call('POST', `/users/${user}/holds`, { points: 100 });
      expect([first.status, second.status]).toEqual([200, 200]);
      const pending = await call('POST', `/users/${user}/add`, { payer: 'LATER', points: 50, timestamp: '2022-12-01T00:00:00Z', availableAt: '2099-01-01T00:00:00Z' });
      expect(pending.status, pending.text).toBe(200);
      const page = await consoleFor(apiUrl(), user);
      const holdItem = (id: string) => page.locator(`#ledger-items li.hold[data-id="${id}"]`);
      await eventually(() => holdItem(first.body.id).textContent()).toContain('held');
      expect(await page.locator('#ledger-items li.add').last().textContent()).toContain('available from 2099-01-01 00:00:00Z');
      await holdItem(first.body.id).getByRole('button', { name: /^Capture hold/ }).click();
      await eventually(() => status(page)).toBe(`Captured hold ${first.body.id}.`);
      expect(await holdItem(first.body.id).textContent()).toContain('captured 5,000');
      await holdItem(second.body.id).getByRole('button', { name: /^Release hold/ }).click();
      await eventually(() => status(page)).toBe(`Released hold ${second.body.id}.`);
      expect(await holdItem(second.body.id).getByRole('button').count()).toBe(0);
      expect(await page.locator('#ledger-items li.release').last().textContent()).toContain(`of hold ${second.body.id}`);
      await eventually(() => numbersTable(page)).toEqual([['DANNON', '1,000'], ['UNILEVER', '0'], ['MILLER COORS', '5,300'], ['LATER', '0']]);
      const items = await ledger(user);
      expect(items.filter((item) => item.type === 'hold').map((item) => item.status)).toEqual(['captured', 'released']);
      await close(page, 'console-holds');
    });

    it('a lot shows when it expires; an expired lot shows its expire item', async () => {
      const user = newUser('pg-expiry');
      const page = await consoleFor(apiUrl(), user);
      const form = page.locator('#add');
      await form.getByLabel('Expires at').fill('2099-01-01T00:00:00Z');
      await addByForm(page, 'DANNON', '300', '2022-10-31T10:00:00Z');
      await eventually(() => status(page)).toBe(`Recorded +300 points from DANNON for user ${user}.`);
      // Already past: recorded, then expired at once.
      const past = await call('POST', `/users/${user}/add`, { payer: 'UNILEVER', points: 200, timestamp: '2022-10-31T11:00:00Z', expiresAt: '2023-01-01T00:00:00Z' });
      expect(past.status, past.text).toBe(200);
      await page.getByRole('button', { name: 'Show' }).click();
      await eventually(() => page.locator('#ledger-items li.expire').count()).toBe(1);
      expect(await page.locator('#ledger-items li.add').first().textContent()).toContain('remaining 300 of 300 · expires 2099-01-01 00:00:00Z');
      const expired = await page.locator('#ledger-items li.expire').textContent();
      expect(expired).toContain('−200');
      expect(expired).toContain(`UNILEVER · lot ${past.body.id}`);
      await eventually(() => numbersTable(page)).toEqual([['DANNON', '300'], ['UNILEVER', '0']]);
      await close(page, 'console-expiry');
    });

    it("a refusal shows its detail, and each field error next to its field", async () => {
      const user = newUser('pg-refuse');
      const page = await consoleFor(apiUrl(), user);
      const refused = page.waitForResponse((response) => response.url().endsWith('/spend'));
      await page.locator('#spend').getByLabel('Points').fill('10');
      await page.locator('#spend').getByRole('button', { name: 'Spend' }).click();
      const problem = await (await refused).json();
      expect(problem.code).toBe('INSUFFICIENT_POINTS');
      await eventually(() => page.locator('#spend-problem').textContent()).toContain(problem.detail);
      expect(await page.locator('#spend-problem').getAttribute('role')).toBe('alert');

      const invalid = page.waitForResponse((response) => response.url().endsWith('/add'));
      await addByForm(page, 'DANNON', '1.5', '2022-02-30T10:00:00Z');
      const validation = await (await invalid).json();
      expect(validation.code).toBe('VALIDATION_FAILED');
      const messages = Object.fromEntries(validation.errors.map((e: { path: string; message: string }) => [e.path, e.message]));
      expect(Object.keys(messages).sort()).toEqual(['points', 'timestamp']);
      await eventually(() => page.locator('#add-timestamp-error').textContent()).toBe(`Timestamp: ${messages.timestamp}`);
      expect(await page.locator('#add-points-error').textContent()).toBe(`Points: ${messages.points}`);
      expect(await page.locator('#add-timestamp').getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('#add-problem').textContent()).toContain(validation.detail);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('add-points'); // focus on the first bad field
      expect(await numbersTable(page)).toEqual([]); // nothing changed

      // What is plainly not a number is said at once, without a request.
      let sent = 0;
      page.on('request', (request) => void (request.url().endsWith('/spend') && sent++));
      await page.locator('#spend').getByLabel('Points').fill('ten');
      await page.locator('#spend').getByRole('button', { name: 'Spend' }).click();
      await eventually(() => page.locator('#spend-points-error').textContent()).toBe('Points: must be a number, such as 250');
      expect(sent).toBe(0);
      await close(page, 'console-refusal');
    });

    it('fits a 375 px phone without horizontal scrolling, long payer names and ids included', async () => {
      const user = newUser('pg-phone');
      const longPayer = 'P'.repeat(128);
      await add(user, longPayer, 9_007_199_254_740, '2022-10-31T10:00:00Z');
      await add(user, 'DANNON', 300, '2022-10-31T11:00:00Z');
      await spend(user, 100);
      const page = await consoleFor(apiUrl(), user, { viewport: PHONE });
      await eventually(() => page.locator('#chart g.bar').count()).toBe(2);
      const widths = () => page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(await widths()).toEqual([PHONE.width, PHONE.width]);
      await page.locator('#spend').getByRole('button', { name: 'Spend' }).click(); // empty: field error shown
      expect(await widths()).toEqual([PHONE.width, PHONE.width]);
      await close(page, 'console-phone');

      const docs = await open(apiUrl(), '/docs', PHONE);
      await docs.locator('#operations-points-addForUser .opblock-summary-control').click();
      await docs.locator('#operations-points-addForUser .opblock-body').waitFor();
      expect(await docs.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth])).toEqual([PHONE.width, PHONE.width]);
      await close(docs, 'docs-phone');
    });

    it('works with the keyboard alone: pick a user, add, spend, reverse', async () => {
      const user = newUser('pg-keys');
      const page = await open(apiUrl(), '/console');
      await tabTo(page, '#who-user');
      await page.keyboard.type(user);
      await page.keyboard.press('Enter');
      await eventually(() => status(page)).toBe(`Showing user ${user}.`);

      await tabTo(page, '#add-payer');
      await page.keyboard.type('DANNON');
      await page.keyboard.press('Tab');
      await page.keyboard.type('300');
      await tabTo(page, '#add button[type="submit"]');
      await page.keyboard.press('Enter');
      await eventually(() => status(page)).toBe(`Recorded +300 points from DANNON for user ${user}.`);

      await tabTo(page, '#spend-points');
      await page.keyboard.type('120');
      await page.keyboard.press('Enter');
      await eventually(() => status(page)).toBe(`Spent for user ${user}: DANNON −120.`);

      await tabTo(page, 'button[aria-label^="Reverse spend"]');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('reverse-points');
      await page.keyboard.type('20');
      await page.keyboard.press('Enter');
      await eventually(() => status(page)).toMatch(/^Reversed 20 points of spend \S+: DANNON \+20\.$/);
      await eventually(() => numbersTable(page)).toEqual([['DANNON', '200']]);
      await close(page, 'console-keyboard');
    });
  });

  describe('AUTH_MODE=jwt', () => {
    const issuer = 'https://issuer.pages.test';
    const audience = 'points-pages';
    let api: Running;
    let sign: (claims: Record<string, unknown>) => Promise<string>;

    beforeAll(async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'pages', alg: 'ES256', use: 'sig' }] };
      sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'pages' }).setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime('15m').sign(privateKey);
      api = await startApi({
        port: await freePort(),
        dynamoEndpoint: inject('dynamoEndpoint'),
        table: inject('table'),
        quiet: true,
        env: { AUTH_MODE: 'jwt', AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience, AUTH_JWKS: JSON.stringify(jwks) },
      });
    }, 240_000);

    afterAll(async () => {
      await api?.stop();
    });

    it('the console asks for a token, then acts as the token’s user and keeps the token for the tab', async () => {
      const user = newUser('pg-jwt');
      const token = await sign({ sub: user, scope: 'points:read points:spend points:earn', payer: 'DANNON' });
      const page = await open(api.url, '/console');
      await page.getByRole('button', { name: 'Show' }).click();
      await eventually(() => page.locator('#who-problem').textContent()).toMatch(/Authentication required/);

      await page.getByLabel('Bearer token').fill(token);
      await page.getByRole('button', { name: 'Show' }).click();
      await eventually(() => status(page)).toBe('Showing the default user.');
      expect(await page.locator('#who-problem').isHidden()).toBe(true);
      await addByForm(page, 'DANNON', '300', '2022-10-31T10:00:00Z');
      await eventually(() => numbersTable(page)).toEqual([['DANNON', '300']]);
      // The bare routes acted on the token's subject.
      expect((await ledger(user)).map((item) => item.points)).toEqual([300]);

      await page.reload();
      expect(await page.getByLabel('Bearer token').inputValue()).toBe(token);
      await eventually(() => numbersTable(page)).toEqual([['DANNON', '300']]);
      await close(page, 'console-jwt');
    });

    it('the API reference takes a bearer token for "Try it out"', async () => {
      const user = newUser('pg-jwt-docs');
      const token = await sign({ sub: user, scope: 'points:read' });
      const page = await open(api.url, '/docs');
      const balance = page.locator('#operations-points-balance');
      await balance.waitFor({ timeout: 30_000 });
      const execute = async () => {
        const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/balance');
        await balance.getByRole('button', { name: 'Execute' }).click();
        return answered;
      };
      await balance.locator('.opblock-summary-control').click();
      await balance.getByRole('button', { name: 'Try it out' }).click();
      expect((await execute()).status()).toBe(401); // no token yet

      await page.locator('.auth-wrapper .authorize').click();
      await page.locator('.modal-ux input').first().fill(token);
      await page.locator('.modal-ux .auth-btn-wrapper .authorize').click();
      await page.locator('.modal-ux .btn-done').click();
      const answer = await execute();
      expect(answer.status()).toBe(200);
      expect(await answer.request().headerValue('authorization')).toBe(`Bearer ${token}`);
      await close(page, 'docs-jwt');
    });
  });
});
