// The consumer of the table's stream (serverless.yml: batch size, retries, on-failure queue;
// docs/events.md): projections of every committed ledger record, partial batch failures reported.
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { deliverer, events, webhookStore } from '../lib/app.js';
import { streamHandler } from '../lib/dynamo/stream-consumer.js';
import { webhookProjection } from '../lib/service/webhooks/fanout.js';

// Webhooks (docs/webhooks.md): each record's events scheduled durably, one delivery per matching
// subscription, and attempted at once.
events.projections.push(webhookProjection(webhookStore, deliverer));

/** How long a batch waits for the webhook attempts it started: Lambda freezes what still runs after it returns. */
const SETTLE_MS = 2_000;

const consume = streamHandler(events);

export const handler = async (event: DynamoDBStreamEvent, context: Context) => {
  const response = await consume(event, context);
  await deliverer.settle(SETTLE_MS);
  return response;
};
