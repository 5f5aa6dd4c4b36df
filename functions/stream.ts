// The consumer of the table's stream (serverless.yml: batch size, retries, on-failure queue;
// docs/events.md): projections of every committed ledger record, partial batch failures reported.
import { deliverer, events, webhookStore } from '../lib/app.js';
import { streamHandler } from '../lib/dynamo/stream-consumer.js';
import { webhookProjection } from '../lib/service/webhooks/fanout.js';

// Webhooks (docs/webhooks.md): each record's events scheduled durably, one delivery per matching subscription.
events.projections.push(webhookProjection(webhookStore, deliverer));

export const handler = streamHandler(events);
