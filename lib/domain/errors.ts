// Every refusal of SPEC "Errors" as a typed value; lib/http/handler.ts turns them into problem+json.
import type { Problem } from './schemas/responses.js';

export type FieldError = { path: string; message: string };

const PROBLEMS = {
  VALIDATION_FAILED: { status: 400, title: 'Request is not valid' },
  INSUFFICIENT_POINTS: { status: 400, title: 'Not enough points' },
  INSUFFICIENT_PAYER_POINTS: { status: 400, title: 'Not enough points from this payer' },
  LIMIT_EXCEEDED: { status: 400, title: 'Limit exceeded' },
  EXCEEDS_SPEND: { status: 400, title: 'More than the spend has left to reverse' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Body too large' },
  NOT_RETRYABLE: { status: 409, title: 'Not retryable' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key reused with a different request' },
  INTERNAL: { status: 500, title: 'Internal error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable; nothing was applied' },
  OUTCOME_UNKNOWN: { status: 503, title: 'Outcome unknown; retry with the same Idempotency-Key' },
} as const;

export type ErrorCode = keyof typeof PROBLEMS;

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
      type: `https://points.example.com/problems/${this.code.toLowerCase().replaceAll('_', '-')}`,
      title,
      status,
      detail: this.detail,
      code: this.code,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/** Codes whose refusal depends on the ledger's state, so an idempotent retry must see them again. */
export const DOMAIN_REFUSALS: readonly ErrorCode[] = ['INSUFFICIENT_POINTS', 'INSUFFICIENT_PAYER_POINTS', 'LIMIT_EXCEEDED', 'EXCEEDS_SPEND'];
