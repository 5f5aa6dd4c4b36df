// lib/telemetry/: logs and metrics. Imports only domain/ (errors) and Powertools.
//
// What an operator sees: one structured JSON log line per request and CloudWatch metrics in the
// embedded metric format (EMF), both written to stdout, where Lambda sends them to CloudWatch.
// Powertools' middy middlewares add the Lambda context to the log and publish the metrics.
//
//   POWERTOOLS_LOG_LEVEL           INFO by default; DEBUG adds a line per DynamoDB request
//   POWERTOOLS_LOGGER_SAMPLE_RATE  fraction of invocations logged at DEBUG whatever the level
//   POWERTOOLS_METRICS_NAMESPACE   CloudWatch namespace of the metrics (serverless.yml sets it)
//   POWERTOOLS_METRICS_DISABLED    true: no EMF output (npm start and the tests' API set it)
import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ApiError } from '../domain/errors.js';
import { beginMeasure, type DbCost } from './metrics.js';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'points' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'Points',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'points',
  // A request that changed no points (a balance read) publishes nothing: that is expected, so
  // Powertools' warning about it is only worth a DEBUG line.
  logger: {
    debug: (...args: unknown[]) => logger.debug(String(args[0])),
    info: (...args: unknown[]) => logger.info(String(args[0])),
    warn: (...args: unknown[]) => (String(args[0]).startsWith('No application metrics') ? logger.debug : logger.warn).call(logger, String(args[0])),
    error: (...args: unknown[]) => logger.error(String(args[0])),
  },
});

/** Who called, as an authentication middleware records it on the middy request's context. */
export interface Caller {
  sub: string;
}
type RequestContext = Context & { caller?: Caller };

interface RequestState {
  startedAt: number;
  db: DbCost;
  conflictRetries: number;
  userId?: string;
}

const current = new AsyncLocalStorage<RequestState>();

/** The user the request acts on, once its path has been validated. */
export function noteUserId(userId: string): void {
  const state = current.getStore();
  if (state) state.userId = userId;
}

/** Another attempt after an optimistic-concurrency conflict (the account moved on). */
export function noteConflictRetry(): void {
  const state = current.getStore();
  if (!state) return;
  state.conflictRetries += 1;
  metrics.addMetric('ConflictRetries', MetricUnit.Count, 1);
}

/** One transaction of a large operation's roll-forward committed. */
export function noteRollForwardBatch(): void {
  if (current.getStore()) metrics.addMetric('RollForwardBatches', MetricUnit.Count, 1);
}

/** Points an add credited (negative for a deduction) or a spend took; replays are not counted. */
export function notePoints(kind: 'added' | 'spent', points: number): void {
  if (current.getStore()) metrics.addMetric(kind === 'added' ? 'PointsAdded' : 'PointsSpent', MetricUnit.Count, points);
}

/** Called by the DynamoDB client for every request it sends; a line only at DEBUG. */
export function noteDynamoRequest(command: string, ms: number): void {
  if (current.getStore()) logger.debug('dynamodb request', { command, durationMs: Math.round(ms * 10) / 10 });
}

type Request = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, RequestContext>;

/** The request line; at ERROR with the stack when the answer is a fault (not a refusal). */
function logRequest(request: Request): void {
  const state = current.getStore();
  const status = request.response?.statusCode ?? 500;
  const error = request.error;
  const refusal = error instanceof ApiError ? error : undefined;
  if (refusal) {
    const single = metrics.singleMetric();
    single.addDimension('code', refusal.code);
    single.addMetric('Refusals', MetricUnit.Count, 1);
  }
  const fields = {
    route: request.event.routeKey,
    ...(state?.userId !== undefined ? { userId: state.userId } : {}),
    ...(request.context.caller?.sub !== undefined ? { callerSub: request.context.caller.sub } : {}),
    status,
    ...(refusal ? { code: refusal.code } : {}),
    durationMs: state ? Math.round((performance.now() - state.startedAt) * 10) / 10 : undefined,
    dynamoRequests: state?.db.requests ?? 0,
    conflictRetries: state?.conflictRetries ?? 0,
  };
  if (error && !refusal) logger.error('request', { ...fields, error });
  else if (status >= 500) logger.warn('request', fields);
  else logger.info('request', fields);
}

/** Starts the request's counters, with the API Gateway request id as correlation id. */
function requestLog(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, RequestContext> {
  return {
    // Synchronous on purpose: enterWith then holds for the rest of this invocation.
    before: (request) => {
      current.enterWith({ startedAt: performance.now(), db: beginMeasure(), conflictRetries: 0 });
      logger.setCorrelationId(request.event.requestContext?.requestId);
    },
    after: logRequest,
    onError: logRequest,
  };
}

/** The middlewares every handler uses, outermost first; add them before the error mapper. */
export const telemetry = (): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>[] => [
  injectLambdaContext(logger, { resetKeys: true }),
  logMetrics(metrics, { captureColdStartMetric: true }),
  requestLog(),
];

/**
 * One stream batch consumed (functions/stream.ts): events projected, and the age of its oldest
 * record (the iterator age as this consumer sees it; Lambda's own IteratorAge metric is alarmed).
 */
export function noteStreamBatch(fields: { records: number; events: number; failed: boolean; oldestAgeMs: number; durationMs: number }): void {
  metrics.addMetric('EventsProjected', MetricUnit.Count, fields.events);
  metrics.addMetric('StreamRecordAge', MetricUnit.Milliseconds, fields.oldestAgeMs);
  if (fields.failed) metrics.addMetric('StreamBatchFailures', MetricUnit.Count, 1);
  (fields.failed ? logger.warn : logger.info).call(logger, 'stream batch', fields);
  metrics.publishStoredMetrics();
}
