// What webhooks need from storage; lib/dynamo/webhooks.ts implements it on DynamoDB.
import type { Delivery, Subscription } from '../../domain/webhooks/subscriptions.js';
import type { DeliveryStatus } from '../../domain/webhooks/schemas.js';
import type { StoredSecret } from '../../domain/webhooks/signing.js';

/** A pending delivery that is due, as the schedule's index holds it. */
export interface DueRef {
  subscriptionId: string;
  id: string;
  dueAt: number;
  userId: string;
  sequence: number;
}

export interface WebhookStore {
  putSubscription(sub: Subscription): Promise<void>;
  getSubscription(id: string): Promise<Subscription | undefined>;
  listSubscriptions(): Promise<Subscription[]>;
  /** False when there was none. */
  deleteSubscription(id: string): Promise<boolean>;
  setSecrets(id: string, secrets: StoredSecret[]): Promise<boolean>;
  disable(id: string): Promise<void>;
  /** Writes each delivery unless it exists already (an event seen twice); answers those written. */
  schedule(deliveries: Delivery[]): Promise<Delivery[]>;
  /** Pending deliveries due at `now`, from every shard of the schedule, oldest first. */
  due(now: number, limit: number): Promise<DueRef[]>;
  /**
   * Takes a pending delivery that is due for one attempt: it stays pending, due again at
   * `leaseUntil` (so an attempt that dies is made again). Undefined when it is not due (anymore).
   */
  claim(subscriptionId: string, id: string, now: number, leaseUntil: number, lease: string): Promise<Delivery | undefined>;
  /** Records an attempt's result, unless the lease was lost (another claim took over): then false. */
  finish(delivery: Delivery, lease: string): Promise<boolean>;
  getDelivery(subscriptionId: string, id: string): Promise<Delivery | undefined>;
  /** Oldest first, after the delivery id `after`; `next` continues the listing when more may follow. */
  listDeliveries(subscriptionId: string, status: DeliveryStatus | undefined, limit: number, after?: string): Promise<{ items: Delivery[]; next?: string }>;
  /** Ends every pending delivery of the subscription failed (410 Gone). */
  failPending(subscriptionId: string): Promise<number>;
  /** A failed delivery becomes pending, due at `now`, for one attempt; false when it was not failed. */
  requeue(subscriptionId: string, id: string, now: number): Promise<boolean>;
}
