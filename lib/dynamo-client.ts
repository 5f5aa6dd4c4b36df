// The DynamoDB client of a container: created once, shared by every invocation. The
// test hook (the failpoint) and the request counting of lib/metrics.ts and lib/telemetry.ts are middlewares added here.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countRequest } from './metrics.js';
import { noteDynamoRequest } from './telemetry.js';

const WRITE_COMMANDS = new Set(['TransactWriteItemsCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

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

/** The DynamoDB client, created once per container and shared by every invocation. */
export function createClient(endpoint = process.env.DYNAMODB_ENDPOINT || undefined): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION || 'us-east-1',
    // DynamoDB Local accepts any credentials; in AWS the Lambda role's are used.
    ...(endpoint ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
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
