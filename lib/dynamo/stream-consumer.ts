// The stream consumer's loop (functions/stream.ts; locally scripts/stream-feeder.ts invokes the same
// handler): every committed ledger record of a batch, in stream order, through every projection,
// with Powertools' partial batch failure report. Order matters (a user's events keep their
// sequence order in the feed), so records run one at a time, and once one fails every later record
// of the batch is failed too: the event source mapping retries from the first failure, in order.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventsOf } from '../domain/events.js';
import { throughOf, type EventsService } from '../service/events.js';
import { logger, noteStreamBatch } from '../telemetry/telemetry.js';
import { committedRecordOf } from './stream-records.js';

/** A record not tried because an earlier one of its batch failed. */
class HeldBack extends Error {
  constructor() {
    super('not tried: an earlier record of the batch failed');
  }
}

export function streamHandler(events: EventsService) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
    const started = Date.now();
    let failed = false;
    let latest = '';
    let projected = 0;
    const consume = async (record: DynamoDBRecord) => {
      if (failed) throw new HeldBack();
      try {
        const committed = committedRecordOf(record);
        if (!committed) return;
        await events.consume(committed);
        projected += eventsOf(committed).length;
        if (committed.createdAt > latest) latest = committed.createdAt;
      } catch (error) {
        failed = true;
        throw error;
      }
    };
    const response = await processPartialResponse(event, consume, processor, { context, processInParallel: false, throwOnFullBatchFailure: false });
    const oldest = event.Records[0]?.dynamodb?.ApproximateCreationDateTime;
    noteStreamBatch({ records: event.Records.length, events: projected, failed, oldestAgeMs: oldest ? started - oldest * 1000 : 0, durationMs: Date.now() - started });
    // On AWS the batch's shard is not named: progress is the newest batch's (docs/events.md
    // "asOf"). The local feeder knows its shards and notes their progress itself.
    if (latest && process.env.STREAM_PROGRESS !== 'feeder') {
      // Progress only moves asOf: a fault here must not fail (and replay) a projected batch.
      await events.store.noteProgress('lambda', throughOf(Date.parse(latest))).catch((error: unknown) => logger.warn('stream progress not noted', { error }));
    }
    return response as DynamoDBBatchResponse;
  };
}
