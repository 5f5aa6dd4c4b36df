// The webhook projection of the event pipeline: the committed events of a stream batch become one
// durable delivery per matching subscription, written before anything is sent. Idempotent: a
// record seen twice names the same deliveries, which are written once.
import type { PointsEvent } from '../../domain/events.js';
import { matches, newDelivery } from '../../domain/webhooks/subscriptions.js';
import type { Projection } from '../events.js';
import type { Deliverer } from './deliverer.js';
import type { WebhookStore } from './store.js';

export async function scheduleDeliveries(store: WebhookStore, events: readonly PointsEvent[], now = Date.now()) {
  if (events.length === 0) return [];
  const subs = (await store.listSubscriptions()).filter((sub) => sub.status === 'enabled');
  const deliveries = events.flatMap((event) => subs.filter((sub) => matches(sub, event)).map((sub) => newDelivery(sub, event, now)));
  return store.schedule(deliveries);
}

/**
 * The projection the stream consumer runs (functions/stream.ts): schedules, then starts the first
 * attempts at once so healthy lag stays low. It does not wait for them (the consumer gives them a
 * short while after its batch: Deliverer.settle); should the process end or freeze first, the
 * lease runs out and a sweep makes the attempt again.
 */
export const webhookProjection = (store: WebhookStore, deliverer: Deliverer): Projection => async (_record, events) => {
  const scheduled = await scheduleDeliveries(store, events);
  deliverer.startNow(scheduled.map((d) => ({ subscriptionId: d.subscriptionId, id: d.id, dueAt: d.dueAt ?? 0, userId: d.userId, sequence: d.sequence })));
};
