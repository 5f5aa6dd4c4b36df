// Objects shared by every invocation of a container: created once at module load, never per
// request (the SDK client keeps its connections warm between invocations). Marked pure so that a
// function's bundle keeps only what it uses.
import { createClient } from './dynamo/client.js';
import { DynamoEventStore } from './dynamo/event-store.js';
import { DynamoStore } from './dynamo/store.js';
import { DynamoWebhookStore } from './dynamo/webhooks.js';
import { parseRetrySchedule } from './domain/webhooks/schedule.js';
import { targetMode } from './domain/webhooks/targets.js';
import { EventsService } from './service/events.js';
import { PointsService } from './service/service.js';
import { Deliverer } from './service/webhooks/deliverer.js';
import { WebhookService } from './service/webhooks/subscriptions.js';

const client = createClient();

export const service = /* @__PURE__ */ new PointsService(new DynamoStore(client));
export const events = /* @__PURE__ */ new EventsService(new DynamoEventStore(client));

export const webhookStore = /* @__PURE__ */ new DynamoWebhookStore(client);

export const webhooks = /* @__PURE__ */ new WebhookService(webhookStore, targetMode(process.env));

export const deliverer = /* @__PURE__ */ new Deliverer(webhookStore, {
  schedule: parseRetrySchedule(process.env.WEBHOOK_RETRY_SCHEDULE),
  mode: targetMode(process.env),
  // SPEC: 15 s. Tests shorten it (and with it the lease) to keep a timeout quick.
  timeoutMs: Number(process.env.WEBHOOK_ATTEMPT_TIMEOUT_SECONDS || 15) * 1000,
});
