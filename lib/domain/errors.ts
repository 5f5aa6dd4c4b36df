// Every refusal of SPEC "Errors" as a typed value; lib/http/handler.ts turns them into problem+json.
import { PROBLEM_LIMITS } from './limits.js';
import type { Problem } from './schemas/responses.js';

export type FieldError = { path: string; message: string };

/** Each code's status, title and when it is given (the page at /problems/CODE shows these; /openapi.json lists a route's codes from here). */
export const PROBLEMS = {
  VALIDATION_FAILED: { status: 400, title: 'Request is not valid', when: 'The body is not JSON, fails the schema or has unknown fields, or a path, query or header value is not valid; `errors` lists each problem.' },
  INSUFFICIENT_POINTS: { status: 400, title: 'Not enough points', when: 'A spend (or capture) asks for more points than the user has.' },
  INSUFFICIENT_PAYER_POINTS: { status: 400, title: 'Not enough points from this payer', when: 'A negative add is larger than the payer\'s balance.' },
  LIMIT_EXCEEDED: { status: 400, title: 'Limit exceeded', when: 'An add would take a payer balance or the user\'s total past 2^53 − 1.' },
  EXCEEDS_SPEND: { status: 400, title: 'More than the spend has left to reverse', when: 'A reversal asks for more points than the spend still has unreversed.' },
  EXCEEDS_HOLD: { status: 400, title: 'More than the hold has', when: 'A capture asks for more points than the hold holds.' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required', when: 'AUTH_MODE=jwt and the request has no bearer token, or one that is malformed, wrongly signed, expired, or from another issuer or audience. See WWW-Authenticate.' },
  FORBIDDEN: { status: 403, title: 'Not allowed', when: 'The token is valid but lacks the right to this user, payer or route; WWW-Authenticate names a scope that would allow it.' },
  NOT_FOUND: { status: 404, title: 'Not found', when: 'No route has this path, or the spend, hold, file or code named does not exist.' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', when: 'The path exists under another method; Allow lists them.' },
  HOLD_NOT_ACTIVE: { status: 409, title: 'The hold is no longer held', when: 'A capture or release of a hold that was already captured, released or expired.' },
  NOT_RETRYABLE: { status: 409, title: 'Not retryable', when: 'A retry of a webhook delivery that is not failed, or of a disabled subscription.' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Body too large', when: 'The body is over 16 KiB (16384 bytes is still accepted).' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type', when: 'A request body was sent without Content-Type: application/json (parameters such as charset are allowed), or with another Content-Type.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key reused with a different request', when: 'The Idempotency-Key was first used with a different request.' },
  INTERNAL: { status: 500, title: 'Internal error', when: 'The service failed, or refuses to serve with an unsafe configuration; nothing about the cause is given.' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable; nothing was applied', when: 'DynamoDB, or the token issuer\'s keys, could not be reached in time; nothing was applied. Retry after Retry-After seconds.' },
  OUTCOME_UNKNOWN: { status: 503, title: 'Outcome unknown; retry with the same Idempotency-Key', when: 'DynamoDB became unavailable after a write was sent; retry with the same Idempotency-Key to learn the outcome.' },
} as const;

export type ErrorCode = keyof typeof PROBLEMS;

/** The first `max` characters (code points, as JSON Schema counts them) of `text`. */
const clip = (text: string, max: number) => (text.length <= max ? text : [...text].slice(0, max).join(''));

export const ERROR_CODES = Object.keys(PROBLEMS) as ErrorCode[];

/** What the service says about a code (the page its problems' `type` leads to). */
export const problemInfo = (code: ErrorCode) => PROBLEMS[code];

/** A problem's `type`: a path the service itself serves (GET /problems/{code}), documenting the code. */
export const problemType = (code: ErrorCode) => `/problems/${code}`;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(`${code}: ${detail}`);
  }

  get status(): number {
    return PROBLEMS[this.code].status;
  }

  toProblem(): Problem {
    const { status, title } = PROBLEMS[this.code];
    return {
      type: problemType(this.code),
      title,
      status,
      detail: clip(this.detail, PROBLEM_LIMITS.detail),
      code: this.code,
      ...(this.errors
        ? { errors: this.errors.slice(0, PROBLEM_LIMITS.errors).map((e) => ({ path: clip(e.path, PROBLEM_LIMITS.path), message: clip(e.message, PROBLEM_LIMITS.message) })) }
        : {}),
    };
  }
}

/** Codes whose refusal depends on the ledger's state, so an idempotent retry must see them again. */
export const DOMAIN_REFUSALS: readonly ErrorCode[] = ['INSUFFICIENT_POINTS', 'INSUFFICIENT_PAYER_POINTS', 'LIMIT_EXCEEDED', 'EXCEEDS_SPEND', 'EXCEEDS_HOLD', 'HOLD_NOT_ACTIVE'];
