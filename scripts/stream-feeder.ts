// The local stand-in for Lambda's DynamoDB Streams event source mapping (serverless-offline does
// not emulate stream sources; docs/events.md "Locally"). It reads DynamoDB Local's stream of the
// table, builds the event Lambda would (DynamoDBStreamEvent) and invokes the same handler
// (functions/stream.ts) in this process, with the mapping's semantics:
//   - one batch at a time per shard, records in stream order;
//   - a checkpoint per shard (in the events table, so a killed feeder resumes where it was);
//   - a batch whose answer lists failures is retried from the first failed record, in order;
//     a handler that throws gets the same batch again, halved each time (bisect on error);
//   - shards are followed as they split or roll over: a child starts once its parent is done.
// Run by scripts/stack.ts with the stack (npm start, the tests, the bench); standalone:
//   DYNAMODB_ENDPOINT=http://127.0.0.1:8001 TABLE_NAME=points tsx scripts/stream-feeder.ts
// STREAM_ENDPOINT reads the stream from another endpoint than the handler writes to (fault tests).
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createClient } from '../lib/dynamo/client.js';
import { CHECKPOINT_PK, eventsTableName } from '../lib/dynamo/events-table.js';

process.env.STREAM_PROGRESS = 'feeder'; // the handler leaves progress to us (we know the shards)
const { handler } = await import('../functions/stream.js');
const { handler: sweep } = await import('../functions/sweep.js');
const { events } = await import('../lib/app.js');
const { throughOf } = await import('../lib/service/events.js');

// Tests: SIGKILL this process right after the k-th event it projects, mid-batch, before the
// batch's checkpoint (tests/events-crash.test.ts).
const dieAfter = Number(process.env.FEEDER_DIE_AFTER_EVENTS || 0);
if (dieAfter > 0) {
  const project = events.store.project.bind(events.store);
  let projected = 0;
  events.store.project = async (event) => {
    const done = await project(event);
    if (++projected >= dieAfter) process.kill(process.pid, 'SIGKILL');
    return done;
  };
}

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const table = process.env.TABLE_NAME || 'points';
const pollMs = Number(process.env.FEEDER_POLL_MS || 100);
/** Lambda's BatchSize (serverless.yml). */
const batchSize = Number(process.env.FEEDER_BATCH_SIZE || 100);
const db = createClient(endpoint);
const eventsTable = eventsTableName(table);
const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const streams = new DynamoDBStreamsClient({ endpoint: process.env.STREAM_ENDPOINT || endpoint, ...local });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ShardState {
  shard: Shard;
  iterator?: string | undefined;
  /** The last sequence number whose batch fully succeeded. */
  checkpoint?: string | undefined;
  done: boolean;
  /** Records per batch now: halved while the handler throws. */
  limit: number;
  failures: number;
}

const checkpointKey = (shardId: string) => ({ pk: CHECKPOINT_PK, sk: shardId });

async function loadCheckpoint(shardId: string) {
  const { Item } = await db.send(new GetCommand({ TableName: eventsTable, Key: checkpointKey(shardId), ConsistentRead: true }));
  return Item as { seq?: string; done?: boolean } | undefined;
}

const saveCheckpoint = (shardId: string, seq: string | undefined, done = false) =>
  db.send(new PutCommand({ TableName: eventsTable, Item: { ...checkpointKey(shardId), ...(seq ? { seq } : {}), done } }));

async function iteratorAt(state: ShardState, type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER' | 'TRIM_HORIZON', seq?: string) {
  const out = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: state.shard.ShardId!, ShardIteratorType: type, ...(seq ? { SequenceNumber: seq } : {}) }));
  return out.ShardIterator;
}

/** The record as Lambda delivers it: the same fields, epoch seconds for the creation time. */
const lambdaRecord = (record: StreamRecord): DynamoDBRecord =>
  ({
    ...record,
    eventSourceARN: streamArn,
    dynamodb: { ...record.dynamodb, ApproximateCreationDateTime: Math.floor((record.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now()) / 1000) },
  }) as DynamoDBRecord;

const context = { functionName: 'stream', awsRequestId: 'local', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

/** One poll of one shard; true when it did something (records, or a retry). */
async function poll(state: ShardState): Promise<boolean> {
  const shardId = state.shard.ShardId!;
  if (state.iterator === undefined) {
    const saved = await loadCheckpoint(shardId);
    if (saved?.done) {
      state.done = true;
      return false;
    }
    state.checkpoint = saved?.seq;
    state.iterator = await iteratorAt(state, saved?.seq ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON', saved?.seq);
  }
  const polledAt = Date.now();
  const out = await streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: state.limit }));
  const records = out.Records ?? [];
  if (records.length === 0) {
    state.iterator = out.NextShardIterator;
    if (state.iterator === undefined) {
      // Closed and read to its end: its children take over.
      await saveCheckpoint(shardId, state.checkpoint, true);
      await events.store.noteProgress(shardId, throughOf(polledAt), true);
      state.done = true;
    } else {
      // Read to its end now: every record committed long enough before this poll is projected.
      await events.store.noteProgress(shardId, throughOf(polledAt));
    }
    return false;
  }
  const event: DynamoDBStreamEvent = { Records: records.map(lambdaRecord) };
  let failedAt: number;
  try {
    const answer = await handler(event, context);
    const failed = new Set((answer?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    failedAt = records.findIndex((record) => failed.has(record.dynamodb!.SequenceNumber!));
    state.limit = batchSize;
  } catch (error) {
    // The function failed as a whole: the same batch again, halved (BisectBatchOnFunctionError).
    console.error(`stream feeder: the handler threw on ${records.length} records of ${shardId}: ${(error as Error).message}`);
    state.limit = Math.max(1, Math.floor(records.length / 2));
    failedAt = 0;
  }
  if (failedAt === -1) {
    state.checkpoint = records.at(-1)!.dynamodb!.SequenceNumber!;
    await saveCheckpoint(shardId, state.checkpoint);
    state.iterator = out.NextShardIterator;
    state.failures = 0;
    return true;
  }
  // From the first failed record, in order, after a pause that grows with repeated failures.
  if (failedAt > 0) {
    state.checkpoint = records[failedAt - 1]!.dynamodb!.SequenceNumber!;
    await saveCheckpoint(shardId, state.checkpoint);
  }
  state.iterator = await iteratorAt(state, 'AT_SEQUENCE_NUMBER', records[failedAt]!.dynamodb!.SequenceNumber!);
  await sleep(Math.min(2000, 50 * 2 ** state.failures++));
  return true;
}

const { Table } = await db.send(new DescribeTableCommand({ TableName: table }));
const streamArn = Table?.LatestStreamArn;
if (!streamArn) throw new Error(`Table ${table} has no stream (scripts/stack.ts prepareTable enables it)`);

const states = new Map<string, ShardState>();
async function refreshShards() {
  let start: string | undefined;
  do {
    const out = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ...(start ? { ExclusiveStartShardId: start } : {}) }));
    for (const shard of out.StreamDescription?.Shards ?? []) {
      if (!states.has(shard.ShardId!)) states.set(shard.ShardId!, { shard, done: false, limit: batchSize, failures: 0 });
    }
    start = out.StreamDescription?.LastEvaluatedShardId;
  } while (start);
}

// The scheduled sweep (EventBridge on AWS) on a timer: SWEEP_INTERVAL_MS, default a minute; 0 turns it off.
const sweepMs = Number(process.env.SWEEP_INTERVAL_MS ?? 60_000);
if (sweepMs > 0) {
  const runSweep = () =>
    sweep().then(
      () => setTimeout(runSweep, sweepMs),
      (error: Error) => {
        console.error(`sweep: ${error.message}`);
        setTimeout(runSweep, sweepMs);
      },
    );
  setTimeout(runSweep, sweepMs).unref();
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => (stopping = true));

let lastRefresh = 0;
while (!stopping) {
  try {
    if (Date.now() - lastRefresh > 1000) {
      await refreshShards();
      lastRefresh = Date.now();
    }
    // A child shard waits for its parent, so a user's records stay in order.
    const ready = [...states.values()].filter((s) => !s.done && !(s.shard.ParentShardId && states.get(s.shard.ParentShardId) && !states.get(s.shard.ParentShardId)!.done));
    const busy = await Promise.all(ready.map(poll));
    if (!busy.some(Boolean)) await sleep(pollMs);
  } catch (error) {
    // DynamoDB Local restarting, an expired iterator: start the shards again from their checkpoints.
    // (DynamoDB Local refuses TRIM_HORIZON on a shard with no record yet: nothing to say then.)
    if ((error as Error).name !== 'TrimmedDataAccessException') console.error(`stream feeder: ${(error as Error).message}`);
    for (const state of states.values()) state.iterator = undefined;
    await sleep(500);
  }
}
db.destroy();
streams.destroy();
process.exit(0);
