// The DynamoDB client of a container: created once, shared by every invocation. Its time limits
// and error classification keep every request bounded and honest under faults (lib/service/deadline.ts,
// lib/dynamo/errors.ts). The test hook (the failpoint) and the request counting of lib/telemetry/metrics.ts and
// lib/telemetry/telemetry.ts are middlewares added here.
import { DynamoDBClient, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
// The SDK's own HTTP handler (a dependency of @aws-sdk/client-dynamodb), extended below.
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { certainlyNotApplied, failureOf, NotSent } from './errors.js';
import { deadlineLeftMs } from '../service/deadline.js';
import { countRequest } from '../telemetry/metrics.js';
import { noteDynamoRequest } from '../telemetry/telemetry.js';

const WRITES = ['TransactWriteItems', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
const WRITE_COMMANDS = new Set(WRITES.map((name) => `${name}Command`));
/** X-Amz-Target of a write, e.g. "DynamoDB_20120810.TransactWriteItems". */
const WRITE_TARGET = new RegExp(`\\.(?:${WRITES.join('|')})$`);

/** DynamoDB connects in milliseconds; the slack is for DynamoDB Local on a loaded machine. */
const CONNECTION_TIMEOUT_MS = 2_000;
/** One attempt: generous for a 100-item transaction on a loaded DynamoDB Local, well inside the budget. */
const ATTEMPT_TIMEOUT_MS = 4_000;
/** The region of a local endpoint (and the fallback where AWS_REGION is unset). */
const LOCAL_REGION = 'us-east-1';
/** Attempts per call (the SDK's standard retry: throttles and transient faults, jittered backoff). */
const MAX_ATTEMPTS = 3;

/** Thrown by the failpoint: the process "dies" after the k-th write (tests only). */
export class FailpointCrash extends Error {}

type AnyRecord = Record<string, unknown>;

function itemsOf(output: AnyRecord): number {
  if (output.Item) return 1;
  if (Array.isArray(output.Items)) return output.Items.length;
  if (output.Responses) return Object.values(output.Responses as Record<string, unknown[]>).reduce((n, items) => n + items.length, 0);
  return 0;
}

function itemsWritten(input: AnyRecord): number {
  if (Array.isArray(input.TransactItems)) return input.TransactItems.length;
  if (input.RequestItems) return Object.values(input.RequestItems as Record<string, unknown[]>).reduce((n, items) => n + items.length, 0);
  return 1;
}

/**
 * Each attempt ends by the request's deadline (lib/service/deadline.ts): writes by the point that still
 * leaves time to read back their outcome, reads by the deadline itself. Past it, nothing is sent.
 */
class DeadlineHttpHandler extends NodeHttpHandler {
  override handle(...[request, options = {}]: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '';
    const left = deadlineLeftMs(WRITE_TARGET.test(target));
    if (left === Number.POSITIVE_INFINITY) return super.handle(request, options);
    if (left <= 0) return Promise.reject(new NotSent(target));
    const signals = [AbortSignal.timeout(left), ...(options.abortSignal ? [options.abortSignal as AbortSignal] : [])];
    return super.handle(request, { ...options, abortSignal: AbortSignal.any(signals) });
  }
}

/** Whether some attempt of this call may have reached DynamoDB (kept per call in the middleware context). */
const MAYBE_APPLIED = Symbol('maybeApplied');

type CallContext = Record<symbol, boolean>;

/** Around every attempt (inside the SDK's retries): notes a write attempt that may have landed. */
const attemptOutcome: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
  try {
    return await next(args);
  } catch (error) {
    if (WRITE_COMMANDS.has(context.commandName ?? '') && !certainlyNotApplied(error)) (context as CallContext)[MAYBE_APPLIED] = true;
    throw error;
  }
};

/** Around the whole call (outside the retries): faults become 503s or UnknownOutcome (lib/dynamo/errors.ts). */
const faultClassifier: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
  try {
    return await next(args);
  } catch (error) {
    const failure = failureOf(error, (context as CallContext)[MAYBE_APPLIED] === true);
    if (failure !== error) console.warn(`DynamoDB ${context.commandName}: ${(error as Error).name}: ${(error as Error).message}`);
    throw failure;
  }
};

/** The DynamoDB client, created once per container and shared by every invocation. */
export function createClient(endpoint = process.env.DYNAMODB_ENDPOINT || undefined): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint,
    // A local endpoint gets the same key and region from every process (npm start creating the
    // table, the functions under serverless-offline, the tests): a DynamoDB Local started without
    // -sharedDb keeps one database per key and region. In AWS, the function's region and role.
    ...(endpoint ? { region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : { region: process.env.AWS_REGION || LOCAL_REGION }),
    requestHandler: new DeadlineHttpHandler({ connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: ATTEMPT_TIMEOUT_MS, throwOnRequestTimeout: true }),
    retryMode: 'standard',
    maxAttempts: MAX_ATTEMPTS,
  });
  client.middlewareStack.addRelativeTo(attemptOutcome, { relation: 'after', toMiddleware: 'retryMiddleware', name: 'attemptOutcome' });
  client.middlewareStack.addRelativeTo(faultClassifier, { relation: 'before', toMiddleware: 'retryMiddleware', name: 'faultClassifier' });
  const failAfter = process.env.POINTS_FAILPOINT_AFTER_WRITES;
  if (failAfter !== undefined && failAfter !== '') {
    const limit = Number(failAfter);
    let writes = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (writes >= limit) throw new FailpointCrash(`failpoint: crashed after ${limit} writes`);
        const result = await next(args);
        if (WRITE_COMMANDS.has(context.commandName ?? '') && ++writes >= limit) {
          throw new FailpointCrash(`failpoint: crashed after write ${writes}`);
        }
        return result;
      },
      { step: 'initialize', name: 'failpoint' },
    );
  }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const started = performance.now();
      const result = await next(args);
      const command = context.commandName ?? 'unknown';
      const write = WRITE_COMMANDS.has(command);
      const input = args.input as AnyRecord;
      countRequest(command, write, write ? 0 : itemsOf(result.output as unknown as AnyRecord), write ? itemsWritten(input) : 0);
      noteDynamoRequest(command, performance.now() - started);
      return result;
    },
    { step: 'initialize', name: 'costMetrics' },
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
