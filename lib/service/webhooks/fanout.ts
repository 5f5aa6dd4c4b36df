// The webhook projection of the event pipeline: the committed events of a stream batch become one
// durable delivery per matching subscription, written before anything is sent. Idempotent: a
// record seen twice names the same deliveries, which are written once.
import type { PointsEvent } from '../../domain/events.js';
import { matches, newDelivery } from '../../domain/webhooks/subscriptions.js';
import type { Deliverer } from './deliverer.js';
import type { WebhookStore } from './store.js';

export async function scheduleDeliveries(store: WebhookStore, events: readonly PointsEvent[], now = Date.now()) {
  if (events.length === 0) return [];
  const subs = (await store.listSubscriptions()).filter((sub) => sub.status === 'enabled');
  const deliveries = events.flatMap((event) => subs.filter((sub) => matches(sub, event)).map((sub) => newDelivery(sub, event, now)));
  return store.schedule(deliveries);
}

/**
 * Schedules, then starts the first attempt at once (healthy lag stays low). The attempts run on;
 * the caller does not wait for them, so a slow endpoint never holds up the stream. Should the
 * process end first, the lease runs out and the deliverer's sweep makes the attempt.
 */
export async function fanOut(store: WebhookStore, deliverer: Deliverer, events: readonly PointsEvent[]): Promise<number> {
  const scheduled = await scheduleDeliveries(store, events);
  deliverer.start(scheduled.map((d) => ({ subscriptionId: d.subscriptionId, id: d.id, dueAt: d.dueAt ?? 0, userId: d.userId, sequence: d.sequence })));
  return scheduled.length;
}
