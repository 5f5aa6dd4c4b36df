// An ApiError as an HTTP answer (application/problem+json), and the one middleware that maps every
// error to one. Kept apart from lib/http/handler.ts, which brings zod and the token verifier, so the page
// and catch-all functions can answer a refusal without carrying the validation stack.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError } from '../domain/errors.js';
import { servingRefusal } from '../auth/serving.js';

export type Event = APIGatewayProxyEventV2;
export type Response = APIGatewayProxyStructuredResultV2;

/** Retry-After of a 503: long enough for a throttle or a failover to pass. */
export const RETRY_AFTER_SECONDS = 1;

export const PROBLEM_TYPE = 'application/problem+json';

/** SPEC: every API answer, refusals included; a shared cache must never keep one user's ledger. */
export const NO_STORE = { 'cache-control': 'no-store' } as const;

export function problemResponse(error: ApiError): Response {
  return {
    statusCode: error.status,
    // SPEC: every 503 tells the client when to come back.
    headers: { 'content-type': PROBLEM_TYPE, ...NO_STORE, ...(error.status === 503 ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {}), ...error.headers },
    body: JSON.stringify(error.toProblem()),
  };
}

/** The one error mapper: known refusals keep their status; anything else is a bare 500. */
export function problemJson(): middy.MiddlewareObj<Event, Response> {
  return {
    onError: async (request) => {
      const error = request.error;
      if (error instanceof ApiError) {
        request.response = problemResponse(error);
        return;
      }
      // A fault: the request's log line carries it at ERROR with its stack (lib/telemetry/telemetry.ts).
      request.response = problemResponse(new ApiError('INTERNAL', 'The service failed to answer; the request may be retried.'));
    },
  };
}

/** The answer to every request of a function that must not serve here (lib/auth/serving.ts). */
const refused = () => problemResponse(new ApiError('INTERNAL', 'The service is not configured to serve this request.'));

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
  return refused();
};
