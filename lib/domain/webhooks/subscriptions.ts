// Subscriptions and their deliveries as data: ids, which events a subscription receives, what a
// delivery shows. Pure; lib/service/webhooks/ stores and sends them.
import { createHash, randomBytes } from 'node:crypto';
import { EVENT_TYPES, type EventType, type PointsEvent } from '../events.js';
import type { DeliveryStatus, DeliveryView, Webhook } from './schemas.js';
import type { StoredSecret } from './signing.js';

/** Whose subscriptions a caller manages: every one (points:admin, AUTH_MODE=off), or one payer's (points:events). */
export type PayerScope = { all: true } | { all: false; payer: string };

export interface Subscription extends Webhook {
  secrets: StoredSecret[];
}

export const newSubscription = (url: string, types: EventType[] | undefined, payer: string | null, secret: string, now: Date): Subscription => ({
  id: `wh_${randomBytes(12).toString('hex')}`,
  url,
  types: types ?? [...EVENT_TYPES],
  payer,
  status: 'enabled',
  createdAt: now.toISOString(),
  secrets: [{ secret }],
});

/** What GET shows: everything but the secrets. */
export const viewOf = ({ secrets: _secrets, ...webhook }: Subscription): Webhook => webhook;

/** SPEC: an enabled subscription receives the events of its types and payer committed after it was created. */
export const matches = (sub: Subscription, event: PointsEvent): boolean =>
  sub.status === 'enabled' && sub.types.includes(event.type) && (sub.payer === null || sub.payer === event.payer) && Date.parse(event.createdAt) >= Date.parse(sub.createdAt);

/**
 * A delivery's id: the event's time (so a subscription's deliveries list oldest first) and a hash
 * of subscription and event, so that an event seen twice names the same delivery and is scheduled once.
 */
export function deliveryIdOf(subscriptionId: string, event: PointsEvent): string {
  const time = Date.parse(event.createdAt).toString(36).padStart(9, '0');
  return `dl_${time}${createHash('sha256').update(`${subscriptionId}\n${event.id}`).digest('hex').slice(0, 20)}`;
}

/** One event on its way to one subscription. */
export interface Delivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  /** The event's JSON exactly as sent (and signed) at every attempt. */
  body: string;
  userId: string;
  sequence: number;
  status: DeliveryStatus;
  attempts: number;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  /** Epoch ms when a pending delivery is next due (a running attempt's lease end included). */
  dueAt: number | null;
  /** An operator's retry: one attempt, then failed again unless it succeeds. */
  final: boolean;
}

export const newDelivery = (sub: Subscription, event: PointsEvent, now: number): Delivery => ({
  id: deliveryIdOf(sub.id, event),
  subscriptionId: sub.id,
  eventId: event.id,
  body: JSON.stringify(event),
  userId: event.userId,
  sequence: event.sequence,
  status: 'pending',
  attempts: 0,
  lastAttemptAt: null,
  lastStatus: null,
  dueAt: now,
  final: false,
});

export const deliveryView = (d: Delivery): DeliveryView => ({
  id: d.id,
  eventId: d.eventId,
  status: d.status,
  attempts: d.attempts,
  lastAttemptAt: d.lastAttemptAt,
  lastStatus: d.lastStatus,
  nextAttemptAt: d.status === 'pending' && d.dueAt !== null ? new Date(d.dueAt).toISOString() : null,
});
