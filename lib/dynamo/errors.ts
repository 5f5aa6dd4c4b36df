// What a failed DynamoDB call means for the request (SPEC "Errors", "Bounded and honest under
// faults"). A refusal of the request itself (a failed condition, a conflict) passes unchanged; a
// fault of DynamoDB or of the way to it becomes a 503, never a 500:
//   - SERVICE_UNAVAILABLE when nothing can have been applied;
//   - UnknownOutcome when a write may have reached DynamoDB: the service reads back whether it
//     landed, and only if it cannot does the client get 503 OUTCOME_UNKNOWN.
import { serviceUnavailable, UnknownOutcome } from '../service/store.js';

const THROTTLING = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);
/** Reasons a transaction is cancelled for capacity, not for its conditions. */
const THROTTLED_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);
/** Network errors raised before a connection existed: the request never reached DynamoDB. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** @smithy/node-http-handler's connectionTimeout: no connection, so nothing sent. */
const CONNECT_TIMEOUT = /did not establish a connection/;

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  CancellationReasons?: { Code?: string }[];
}

/** A write refused by its condition, or caught in another transaction: the state moved on (read and retry). */
export function isConflict(error: unknown): boolean {
  const { name, CancellationReasons } = error as SdkError;
  if (name === 'ConditionalCheckFailedException' || name === 'TransactionConflictException' || name === 'TransactionInProgressException') return true;
  if (name !== 'TransactionCanceledException') return false;
  return (CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict');
}

/** Thrown by the client instead of sending a request once the request's time for it is up. */
export class NotSent extends Error {
  constructor(what: string) {
    super(`${what} not sent: the request's time budget is spent`);
    this.name = 'NotSent';
  }
}

const statusOf = (error: SdkError) => error.$metadata?.httpStatusCode;

export function isThrottling(error: unknown): boolean {
  const e = error as SdkError;
  if (THROTTLING.has(e.name ?? '') || statusOf(e) === 429) return true;
  if (e.name !== 'TransactionCanceledException') return false;
  const codes = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None').filter((code) => code !== 'None');
  return codes.length > 0 && codes.every((code) => THROTTLED_REASONS.has(code));
}

/** True when DynamoDB certainly did not apply a failed attempt: it answered with a refusal, or was never reached. */
export function certainlyNotApplied(error: unknown): boolean {
  const e = error as SdkError;
  const status = statusOf(e);
  if (status !== undefined && status >= 400 && status < 500) return true;
  return error instanceof NotSent || NOT_CONNECTED.has(e.code ?? '') || CONNECT_TIMEOUT.test(e.message ?? '');
}

/** A fault of DynamoDB or of the way to it, as opposed to DynamoDB refusing this request (a 4xx other than throttling). */
export function isFault(error: unknown): boolean {
  const status = statusOf(error as SdkError);
  return isThrottling(error) || status === undefined || status < 400 || status >= 500;
}

/**
 * What a DynamoDB call that failed with `error` throws to the service. `maybeApplied`: it is a
 * write and one of its attempts may have reached DynamoDB (an SDK retry ending in a refusal does
 * not make an earlier attempt's outcome known).
 */
export function failureOf(error: unknown, maybeApplied: boolean): unknown {
  if (maybeApplied) return new UnknownOutcome(error);
  return isFault(error) ? serviceUnavailable() : error;
}
