// An ApiError as an HTTP answer (application/problem+json), and the one middleware that maps every
// error to one. Kept apart from lib/http/handler.ts, which brings zod and the token verifier, so the page
// and catch-all functions can answer a refusal without carrying the validation stack.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError } from '../domain/errors.js';
import { servingRefusal } from '../auth/serving.js';
import { header } from './headers.js';

export type Event = APIGatewayProxyEventV2;
export type Response = APIGatewayProxyStructuredResultV2;

/** Retry-After of a 503: long enough for a throttle or a failover to pass. */
export const RETRY_AFTER_SECONDS = 1;

export const PROBLEM_TYPE = 'application/problem+json';

/** SPEC: every API answer, refusals included; a shared cache must never keep one user's ledger. */
export const NO_STORE = { 'cache-control': 'no-store' } as const;

/** The origin the request reached: API Gateway sets X-Forwarded-Proto (https); the local emulator does not. */
function originOf(event: Event | undefined): string | undefined {
  const host = event && header(event, 'host');
  if (!host || !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host)) return undefined;
  return `${event && header(event, 'x-forwarded-proto') === 'https' ? 'https' : 'http'}://${host}`;
}

/**
 * A problem's `type` is stored relative (/problems/CODE, also in idempotent replays); RFC 9457
 * prefers absolute URIs, so each answer resolves it against the origin the request reached.
 * Without a usable Host it stays relative (a URI reference RFC 9457 allows).
 */
function withOrigin(body: string, event: Event | undefined): string {
  const origin = originOf(event);
  const relative = '{"type":"/';
  return origin && body.startsWith(relative) ? `{"type":"${origin}${body.slice(relative.length - 1)}` : body;
}

export function problemResponse(error: ApiError, event?: Event): Response {
  return {
    statusCode: error.status,
    // SPEC: every 503 tells the client when to come back.
    headers: { 'content-type': PROBLEM_TYPE, ...NO_STORE, ...(error.status === 503 ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {}), ...error.headers },
    body: withOrigin(JSON.stringify(error.toProblem()), event),
  };
}

/** The one error mapper: known refusals keep their status; anything else is a 500 problem+json INTERNAL that names nothing internal. */
export function problemJson(): middy.MiddlewareObj<Event, Response> {
  return {
    // A refusal replayed from an idempotency record comes back as an answer, not an error.
    after: async (request) => {
      const response = request.response;
      if (response?.headers?.['content-type'] === PROBLEM_TYPE && typeof response.body === 'string') response.body = withOrigin(response.body, request.event);
    },
    onError: async (request) => {
      const error = request.error;
      if (error instanceof ApiError) {
        request.response = problemResponse(error, request.event);
        return;
      }
      // A fault: the request's log line carries it at ERROR with its stack (lib/telemetry/telemetry.ts).
      request.response = problemResponse(new ApiError('INTERNAL', 'The service failed to answer; the request may be retried.'), request.event);
    },
  };
}

/** The answer to every request of a function that must not serve here (lib/auth/serving.ts). */
const refused = (event: Event) => problemResponse(new ApiError('INTERNAL', 'The service is not configured to serve this request.'), event);

/**
 * Fail closed (lib/auth/serving.ts), for a middy stack: the error becomes a 500 and the request's
 * log line says why (lib/telemetry/telemetry.ts logs a fault with its message).
 */
export function failClosed(): middy.MiddlewareObj<Event, Response> {
  return {
    before: () => {
      const reason = servingRefusal();
      if (reason) throw new Error(`Refusing to serve: ${reason}`);
    },
  };
}

/** Fail closed, for a handler without the middy stack (the pages): a 500 and one log line. */
export const guarded = (handle: (event: Event) => Promise<Response>) => async (event: Event): Promise<Response> => {
  const reason = servingRefusal();
  if (reason === undefined) return handle(event);
  console.error(JSON.stringify({ level: 'ERROR', message: `Refusing to serve: ${reason}`, requestId: event.requestContext?.requestId }));
  return refused(event);
};
