// The webhook projection of the event pipeline: the committed events of a stream batch become one
// durable delivery per matching subscription, written before anything is sent. Idempotent: a
// record seen twice names the same deliveries, which are written once.
import type { PointsEvent } from '../../domain/events.js';
import { matches, newDelivery, type Subscription } from '../../domain/webhooks/subscriptions.js';
import type { Projection } from '../events.js';
import type { Deliverer } from './deliverer.js';
import type { WebhookStore } from './store.js';

/** Clocks of the API's functions and of the consumer may differ this much (NTP keeps them far closer). */
const CLOCK_SKEW_MS = 1_000;

/**
 * A new delivery is the scheduler's first attempt's alone for this long; only then may a sweep take
 * it. Sweeps thus see a batch's deliveries whole (a batch write lands item by item) and never race
 * the first attempts of a lane, so a healthy endpoint gets each user's events in sequence order; a
 * first attempt that never happens (the process died) is a sweep's after it.
 */
export const FIRST_ATTEMPT_MS = 2_000;

/**
 * The enabled subscriptions, as read at or after `createdAt`: exactly those an event committed then
 * must go to (a subscription receives events committed at or after its own creation). A list read
 * later than that instant serves again, so a backlog of records costs one query, not one each.
 */
function subscriptionsAsOf(store: WebhookStore) {
  let cached: { readAt: number; subs: Subscription[] } | undefined;
  return async (createdAt: number): Promise<Subscription[]> => {
    if (!cached || createdAt > cached.readAt - CLOCK_SKEW_MS) {
      const readAt = Date.now();
      cached = { readAt, subs: (await store.listSubscriptions()).filter((sub) => sub.status === 'enabled') };
    }
    return cached.subs;
  };
}

export async function scheduleDeliveries(store: WebhookStore, events: readonly PointsEvent[], now = Date.now(), subscriptions = subscriptionsAsOf(store)) {
  if (events.length === 0) return [];
  const subs = await subscriptions(Math.max(...events.map((event) => Date.parse(event.createdAt))));
  const deliveries = events.flatMap((event) => subs.filter((sub) => matches(sub, event)).map((sub) => newDelivery(sub, event, now + FIRST_ATTEMPT_MS)));
  return store.schedule(deliveries);
}

/**
 * The projection the stream consumer runs (functions/stream.ts): schedules, then starts the first
 * attempts at once so healthy lag stays low. It does not wait for them (the consumer gives them a
 * short while after its batch: Deliverer.settle); should the process end or freeze first, the
 * lease runs out and a sweep makes the attempt again.
 */
export const webhookProjection = (store: WebhookStore, deliverer: Deliverer): Projection => {
  const subscriptions = subscriptionsAsOf(store);
  return async (_record, events) => {
    const scheduled = await scheduleDeliveries(store, events, Date.now(), subscriptions);
    deliverer.startNow(scheduled.map((d) => ({ subscriptionId: d.subscriptionId, id: d.id, dueAt: d.dueAt ?? 0, userId: d.userId, sequence: d.sequence })));
  };
};
