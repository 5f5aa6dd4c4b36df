// An ApiError as an HTTP answer (application/problem+json), and the one middleware that maps every
// error to one. Kept apart from lib/http/handler.ts, which brings zod and the token verifier, so the page
// and catch-all functions can answer a refusal without carrying the validation stack.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError } from '../domain/errors.js';

export type Event = APIGatewayProxyEventV2;
export type Response = APIGatewayProxyStructuredResultV2;

/** Retry-After of a 503: long enough for a throttle or a failover to pass. */
export const RETRY_AFTER_SECONDS = 1;

export const PROBLEM_TYPE = 'application/problem+json';

export function problemResponse(error: ApiError): Response {
  return {
    statusCode: error.status,
    // SPEC: every 503 tells the client when to come back.
    headers: { 'content-type': PROBLEM_TYPE, ...(error.status === 503 ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {}), ...error.headers },
    body: JSON.stringify(error.toProblem()),
  };
}

/** The one error mapper: known refusals keep their status; anything else is a 500 problem+json INTERNAL that names nothing internal. */
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
