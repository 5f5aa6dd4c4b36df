// How the pages are served, over HTTP (no browser): content types, caching, the
// Content-Security-Policy, hashed asset names, compression by Accept-Encoding, refusals.
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, chooseEncoding } from '../lib/http/pages/serve.js';
import { ROUTES } from '../lib/http/routes.js';
import { expectProblem } from './support/expect.js';
import { apiUrl, call } from './support/http.js';

/** Raw bytes and headers as sent (fetch would undo the content-encoding). */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(`${apiUrl()}${path}`, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

const assetsOf = (html: string) => [...html.matchAll(/\b(?:src|href)="([^"]+\.(?:js|css|svg))"/g)].map(([, path]) => path!);

describe.each(['docs', 'console'])('GET /%s', (page) => {
  it('is HTML in UTF-8, revalidated each time, locked to its own origin by a CSP, with no inline script or style', async () => {
    const answer = await raw(`/${page}`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    const html = answer.body.toString('utf8');
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
    expect(html).not.toMatch(/<style|\sstyle=/);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//); // nothing from elsewhere
  });

  it('loads only its own files, under content-hashed names, cached for good, in the encoding the client takes', async () => {
    const html = (await raw(`/${page}`)).body.toString('utf8');
    const assets = assetsOf(html);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const path of assets) {
      expect(path).toMatch(new RegExp(`^${page}/[\\w.-]+\\.[0-9a-f]{12}\\.(js|css|svg)$`));
      const plain = await raw(`/${path}`, { 'accept-encoding': 'identity' });
      expect(plain.status, path).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['content-type']).toBe({ js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' }[path.split('.').at(-1)!] + '; charset=utf-8');
      // The name's hash is the content's: a changed file gets a new name, so caching it for good is safe.
      expect(path).toContain(`.${createHash('sha256').update(plain.body).digest('hex').slice(0, 12)}.`);
      const br = await raw(`/${path}`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toMatch(/accept-encoding/i);
      expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
      const gzip = await raw(`/${path}`, { 'accept-encoding': 'gzip' });
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    }
  });

  it('answers 404 problem+json for a file it does not have, and 405 for another method', async () => {
    expectProblem(await call('GET', `/${page}/nothing.0123456789ab.js`), 404, 'NOT_FOUND');
    const post = await call('POST', `/${page}`, {});
    expectProblem(post, 405, 'METHOD_NOT_ALLOWED');
    expect(post.headers.get('allow')).toBe('GET');
  });
});

describe('page assets', () => {
  it('serves Swagger UI itself, compressed to well under a third', async () => {
    const html = (await raw('/docs')).body.toString('utf8');
    const bundle = assetsOf(html).find((path) => path.startsWith('docs/swagger-ui-bundle.'));
    expect(bundle).toBeDefined();
    const plain = await raw(`/${bundle}`, { 'accept-encoding': 'identity' });
    const br = await raw(`/${bundle}`, { 'accept-encoding': 'br' });
    expect(plain.body.length).toBeGreaterThan(1_000_000);
    expect(br.body.length).toBeLessThan(plain.body.length / 3);
  });

  it('lists the pages in the OpenAPI document, open without credentials', async () => {
    const document = (await call('GET', '/openapi.json')).body;
    for (const route of ROUTES.filter((r) => r.operation === 'docs' || r.operation === 'console')) {
      expect(document.paths[route.path]?.get?.security, route.path).toEqual([]);
    }
  });
});

describe('chooseEncoding (Accept-Encoding, RFC 9110)', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['*', 'br'],
    ['identity', 'identity'],
    ['GZIP', 'gzip'],
    ['deflate', 'identity'],
  ] as const)('%s -> %s', (header, expected) => {
    expect(chooseEncoding(header)).toBe(expected);
  });
});
