// GET /problems/{code}: the page a problem's `type` leads to (SPEC "Errors": a URL the service
// itself serves, which documents that code), made from the one table of codes in lib/domain/errors.ts.
import { ApiError, ERROR_CODES, problemInfo, type ErrorCode } from '../../domain/errors.js';
import { NO_STORE, guarded, problemResponse, type Event, type Response } from '../problem.js';
import { CONTENT_SECURITY_POLICY } from './serve.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(code: ErrorCode): string {
  const { status, title, when } = problemInfo(code);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${code}: ${escape(title)}</title></head>
<body><main>
<h1 id="${code}"><code>${code}</code></h1>
<p>HTTP status <strong>${status}</strong>: ${escape(title)}.</p>
<p>${escape(when)}</p>
<p>Every refusal is <code>application/problem+json</code> (RFC 9457) with <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code> and <code>code</code>; a refusal changes nothing. See <a href="/docs">the API reference</a>.</p>
</main></body></html>
`;
}

export const problemPageHandler = guarded(async (event: Event): Promise<Response> => {
  const code = event.pathParameters?.code;
  if (!ERROR_CODES.includes(code as ErrorCode)) return problemResponse(new ApiError('NOT_FOUND', 'No such error code.'), event);
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', ...NO_STORE, 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff' },
    body: page(code as ErrorCode),
  };
});
