// The consumer of the table's stream (serverless.yml: batch size, retries, on-failure queue;
// docs/events.md): projections of every committed ledger record, partial batch failures reported.
import { events } from '../lib/app.js';
import { streamHandler } from '../lib/dynamo/stream-consumer.js';

export const handler = streamHandler(events);
