// lib/dynamo/errors.ts on errors shaped like the SDK's (names, codes, status and cancellation reasons
// as @smithy/node-http-handler and the DynamoDB client raise them). tests/faults.test.ts checks
// the same through a real proxy; this pins down the cases the proxy cannot produce.
import { describe, expect, it } from 'vitest';
import { certainlyNotApplied, failureOf, isThrottling, NotSent } from '../lib/dynamo/errors.js';
import { UnknownOutcome } from '../lib/service/store.js';
import { ApiError } from '../lib/domain/errors.js';

const answered = (name: string, status: number, extra: object = {}) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });
const network = (code: string, name = 'Error', message = code) => Object.assign(new Error(message), { name, code, $metadata: {} });
const cancelled = (...codes: string[]) => answered('TransactionCanceledException', 400, { CancellationReasons: codes.map((Code) => ({ Code })) });

const codeOf = (error: unknown) => (error instanceof ApiError ? error.code : 'passed through');

describe('DynamoDB errors', () => {
  it.each([
    ['ThrottlingException', answered('ThrottlingException', 400)],
    ['ProvisionedThroughputExceededException', answered('ProvisionedThroughputExceededException', 400)],
    ['RequestLimitExceeded', answered('RequestLimitExceeded', 400)],
    ['a transaction cancelled for throughput only', cancelled('None', 'ThrottlingError')],
  ])('%s is throttling: nothing applied, 503 SERVICE_UNAVAILABLE', (_name, error) => {
    expect(isThrottling(error)).toBe(true);
    expect(certainlyNotApplied(error)).toBe(true);
    expect(codeOf(failureOf(error, false))).toBe('SERVICE_UNAVAILABLE');
  });

  it.each([
    ['a refused connection', network('ECONNREFUSED')],
    ['an unknown host', network('ENOTFOUND')],
    ['a connection timeout', network('', 'TimeoutError', '@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 1000 ms.')],
    ['a request the deadline kept from being sent', new NotSent('DynamoDB_20120810.TransactWriteItems')],
  ])('%s never reached DynamoDB: 503 SERVICE_UNAVAILABLE', (_name, error) => {
    expect(certainlyNotApplied(error)).toBe(true);
    expect(codeOf(failureOf(error, false))).toBe('SERVICE_UNAVAILABLE');
  });

  it.each([
    ['a reset', network('ECONNRESET', 'TimeoutError')],
    ['a request timeout', network('ETIMEDOUT', 'TimeoutError')],
    ['an abort at the deadline', Object.assign(new Error('Request aborted'), { name: 'AbortError' })],
    ['a 500', answered('InternalServerError', 500)],
    ['a 503', answered('ServiceUnavailable', 503)],
  ])('%s may have been applied: a write’s outcome is unknown, a read is 503 SERVICE_UNAVAILABLE', (_name, error) => {
    expect(certainlyNotApplied(error)).toBe(false);
    expect(failureOf(error, true)).toBeInstanceOf(UnknownOutcome);
    expect(codeOf(failureOf(error, true))).toBe('OUTCOME_UNKNOWN');
    expect(codeOf(failureOf(error, false))).toBe('SERVICE_UNAVAILABLE');
  });

  it.each([
    ['a failed condition', answered('ConditionalCheckFailedException', 400)],
    ['a transaction cancelled by a condition', cancelled('None', 'ConditionalCheckFailed')],
    ['a transaction cancelled by a conflict next to a throttle', cancelled('TransactionConflict', 'ThrottlingError')],
    ['a validation error', answered('ValidationException', 400)],
  ])('%s is DynamoDB refusing the request: passed through for the store to handle', (_name, error) => {
    expect(isThrottling(error)).toBe(false);
    expect(certainlyNotApplied(error)).toBe(true);
    expect(failureOf(error, false)).toBe(error);
  });

  it('a refusal after an attempt that may have landed leaves the outcome unknown', () => {
    expect(failureOf(cancelled('ConditionalCheckFailed'), true)).toBeInstanceOf(UnknownOutcome);
  });
});
