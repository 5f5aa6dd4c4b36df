// A real headless Chromium for the page tests: the one @sparticuz/chromium brings from npm
// (unpacked once into the temp folder), else a system one (CHROMIUM_PATH, or Debian's chromium
// that .ci/run can install). `undefined`, with the reason, when there is none.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** Unpacks @sparticuz/chromium into its own folder; staged and renamed, so a half-written binary is never used. */
async function npmChromium(): Promise<string> {
  const { default: Chromium } = await import('@sparticuz/chromium');
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  const { version } = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  const folder = join(tmpdir(), `points-chromium-${version}`);
  const binary = join(folder, 'chromium');
  if (existsSync(binary)) return binary;
  const staging = mkdtempSync(`${folder}-`);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = staging; // the package unpacks into os.tmpdir()
  try {
    await Chromium.executablePath();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  try {
    renameSync(staging, folder);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another run unpacked it first
  }
  return binary;
}

const SYSTEM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export async function launchBrowser(): Promise<{ browser: Browser; source: string } | { reason: string }> {
  const tried: string[] = [];
  const candidates = [npmChromium, ...SYSTEM.filter((path): path is string => !!path && existsSync(path)).map((path) => async () => path)];
  for (const candidate of candidates) {
    let executablePath = '@sparticuz/chromium';
    try {
      executablePath = await candidate();
      return { browser: await chromium.launch({ executablePath, args: FLAGS }), source: executablePath };
    } catch (error) {
      tried.push(`${executablePath}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { reason: `no Chromium could be started (${tried.join('; ') || 'none found'}); on Debian: apt-get install -y chromium` };
}
