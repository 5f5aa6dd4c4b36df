// An ApiError as an HTTP answer (application/problem+json). Kept apart from lib/http.ts, which
// brings zod, so the page functions can answer a refusal without carrying the validation stack.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiError } from './errors.js';

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
