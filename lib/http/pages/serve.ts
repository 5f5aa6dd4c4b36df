// Answers a page's routes: GET /<page> is its HTML (revalidated every time, locked down by a
// Content-Security-Policy that allows only this origin), GET /<page>/<file> one of the files it
// loads, under a content-hashed name so it is cached for good, brotli or gzip when accepted.
import { gunzipSync } from 'node:zlib';
import { ApiError } from '../../domain/errors.js';
import { guarded, problemResponse, type Event, type Response } from '../problem.js';

export interface Asset {
  /** Content-hashed file name. */
  name: string;
  type: string;
  /** The file compressed, base64. */
  br: string;
  gzip: string;
}

export interface Page {
  html: string;
  assets: readonly Asset[];
}

// No inline script or style, nothing from elsewhere; data: images are swagger-ui's CSS icons.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

export type Encoding = 'br' | 'gzip' | 'identity';

/** The compression the client weighs highest (Accept-Encoding, RFC 9110 12.5.3), else none. */
export function chooseEncoding(acceptEncoding = ''): Encoding {
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (!coding) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    weights.set(coding, q ? Number(q.slice(2)) || 0 : 1);
  }
  const weight = (coding: string) => weights.get(coding) ?? weights.get('*') ?? 0;
  const best = (['br', 'gzip'] as const).filter((coding) => weight(coding) > 0).sort((a, b) => weight(b) - weight(a))[0];
  return best ?? 'identity';
}

function assetResponse(asset: Asset, encoding: Encoding): Response {
  const headers = {
    ...COMMON_HEADERS,
    'content-type': asset.type,
    'cache-control': 'public, max-age=31536000, immutable',
    vary: 'accept-encoding',
  };
  if (encoding === 'identity') return { statusCode: 200, headers, body: gunzipSync(Buffer.from(asset.gzip, 'base64')).toString('base64'), isBase64Encoded: true };
  return { statusCode: 200, headers: { ...headers, 'content-encoding': encoding }, body: asset[encoding], isBase64Encoded: true };
}

export function pageHandler(page: Page) {
  const assets = new Map(page.assets.map((asset) => [asset.name, asset]));
  return guarded(async (event: Event): Promise<Response> => {
    const name = event.pathParameters?.asset;
    if (name === undefined) {
      return {
        statusCode: 200,
        headers: { ...COMMON_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': CONTENT_SECURITY_POLICY },
        body: page.html,
      };
    }
    const asset = assets.get(name);
    if (!asset) return problemResponse(new ApiError('NOT_FOUND', `No file ${name} here; file names change with their content, so reload the page.`), event);
    return assetResponse(asset, chooseEncoding(event.headers?.['accept-encoding']));
  });
}
