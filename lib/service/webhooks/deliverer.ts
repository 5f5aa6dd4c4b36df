// The deliverer: takes due deliveries from the durable schedule and attempts them, each under a
// lease (a claim moves its due time past the attempt, so an attempt that dies is made again).
//
// No head-of-line blocking: nothing waits for an attempt but the attempt itself. A sweep starts
// attempts and returns; a subscription has at most `perSubscription` attempts in flight (a dead
// endpoint holds only its own slots), and a failed attempt is rescheduled, so later events to a
// healthy endpoint go on. Per (subscription, user) one attempt at a time, lowest sequence first:
// a healthy endpoint receives a user's events in ledger order.
import { randomUUID } from 'node:crypto';
import { outcomeOf } from '../../domain/webhooks/schedule.js';
import { signatureHeader, signingSecrets } from '../../domain/webhooks/signing.js';
import type { Delivery } from '../../domain/webhooks/subscriptions.js';
import type { TargetMode } from '../../domain/webhooks/targets.js';
import { countWebhook, noteOldestDue } from '../../telemetry/webhooks.js';
import { post, type Answer } from './send.js';
import type { DueRef, WebhookStore } from './store.js';

export interface DelivererOptions {
  /** Seconds between attempts (WEBHOOK_RETRY_SCHEDULE). */
  schedule: readonly number[];
  mode: TargetMode;
  /** SPEC: 15 s. */
  timeoutMs: number;
  /** Attempts in flight per subscription. */
  perSubscription?: number;
  /** Attempts in flight in all. */
  total?: number;
}

const SWEEP_LIMIT = 200;
/** An endpoint with an attempt in flight this long is slow: its next events wait for the sweeps. */
const SLOW_MS = 1_000;

export class Deliverer {
  private readonly inFlight = new Map<string, number>();
  private readonly lanes = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  /** Subscriptions whose last attempt here did not deliver: left to the sweeps, never attempted at once. */
  private readonly failing = new Set<string>();
  /** When each attempt in flight started, per subscription: one running long marks a slow endpoint. */
  private readonly startedAt = new Map<string, Set<{ at: number }>>();
  /** Attempts started at once since the last settle(). */
  private readonly recent = new Set<Promise<void>>();
  /** Due deliveries of a lane whose attempt is in flight, lowest sequence first. */
  private readonly waiting = new Map<string, DueRef[]>();
  private readonly perSubscription: number;
  private readonly total: number;
  /** Long enough for an attempt and its bookkeeping; an attempt that dies is due again after it. */
  private readonly leaseMs: number;

  constructor(
    private readonly store: WebhookStore,
    private readonly options: DelivererOptions,
  ) {
    this.perSubscription = options.perSubscription ?? 4;
    this.total = options.total ?? 64;
    this.leaseMs = options.timeoutMs + 5_000;
  }

  /** Starts an attempt of every due delivery that may go now; answers how many started. */
  async sweep(now = Date.now()): Promise<number> {
    const due = await this.store.due(now, SWEEP_LIMIT);
    noteOldestDue(due.length ? (now - Math.min(...due.map((d) => d.dueAt))) / 1000 : 0);
    return this.start(due);
  }

  /** Attempts these deliveries now (right after scheduling them): the same rules as a sweep. */
  start(refs: readonly DueRef[]): number {
    const ordered = [...refs].sort((a, b) => a.sequence - b.sequence);
    let started = 0;
    for (const ref of ordered) {
      const lane = `${ref.subscriptionId}\n${ref.userId}`;
      if (this.lanes.has(lane)) {
        // Next in its lane once the attempt in flight ends, without waiting for a sweep.
        const queue = this.waiting.get(lane) ?? [];
        if (!queue.some((r) => r.id === ref.id)) queue.push(ref);
        this.waiting.set(lane, queue);
        continue;
      }
      const busy = this.inFlight.get(ref.subscriptionId) ?? 0;
      if (busy >= this.perSubscription || this.running.size >= this.total) continue;
      this.lanes.add(lane);
      this.inFlight.set(ref.subscriptionId, busy + 1);
      this.launch(lane, ref);
      started++;
    }
    return started;
  }

  /** Attempts `ref`, then the lane's next waiting delivery in the same slot, until none waits. */
  private launch(lane: string, ref: DueRef): void {
    const at = { at: Date.now() };
    const times = this.startedAt.get(ref.subscriptionId) ?? new Set<{ at: number }>();
    times.add(at);
    this.startedAt.set(ref.subscriptionId, times);
    // A first attempt claims its delivery before a sweep may (it is due at ref.dueAt, later than now).
    const attempt = this.attempt(ref.subscriptionId, ref.id, Math.max(Date.now(), ref.dueAt))
      .catch((error) => console.error(`webhook delivery ${ref.id}: ${(error as Error).message}`))
      .finally(() => {
        this.running.delete(attempt);
        times.delete(at);
        if (times.size === 0) this.startedAt.delete(ref.subscriptionId);
        const next = this.waiting.get(lane)?.shift();
        if (next) return this.launch(lane, next);
        this.waiting.delete(lane);
        this.lanes.delete(lane);
        const left = (this.inFlight.get(ref.subscriptionId) ?? 1) - 1;
        if (left > 0) this.inFlight.set(ref.subscriptionId, left);
        else this.inFlight.delete(ref.subscriptionId);
      });
    this.running.add(attempt);
  }

  /**
   * The first attempt right after scheduling (the stream consumer's projection), for subscriptions
   * not known to be failing: a dead endpoint is left to the sweeps and costs the stream nothing.
   */
  startNow(refs: readonly DueRef[]): number {
    const now = Date.now();
    const slow = (id: string) => [...(this.startedAt.get(id) ?? [])].some(({ at }) => now - at > SLOW_MS);
    const before = new Set(this.running);
    const started = this.start(refs.filter((ref) => !this.failing.has(ref.subscriptionId) && !slow(ref.subscriptionId)));
    for (const attempt of this.running) if (!before.has(attempt)) this.recent.add(attempt);
    return started;
  }

  /** Waits for the attempts startNow() started since the last call, at most `maxMs`. */
  async settle(maxMs: number): Promise<void> {
    const waiting = [...this.recent];
    this.recent.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(waiting), new Promise((resolve) => (timer = setTimeout(resolve, maxMs)))]);
    clearTimeout(timer);
  }

  /** Waits for every attempt in flight. */
  async drain(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** One attempt of one delivery, if it is still due and nobody else has claimed it. */
  async attempt(subscriptionId: string, id: string, claimedAt = Date.now()): Promise<void> {
    const lease = randomUUID();
    const delivery = await this.store.claim(subscriptionId, id, claimedAt, claimedAt + this.leaseMs, lease);
    if (!delivery) return;
    const sub = await this.store.getSubscription(subscriptionId);
    const attemptAt = Date.now();
    if (!sub || sub.status !== 'enabled') {
      // Deleted or disabled meanwhile: nothing more is sent.
      await this.store.finish({ ...delivery, status: 'failed', dueAt: null }, lease);
      countWebhook('failed');
      return;
    }
    const timestamp = Math.floor(attemptAt / 1000);
    const headers = {
      'webhook-id': delivery.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(signingSecrets(sub.secrets, attemptAt), delivery.eventId, timestamp, delivery.body),
    };
    countWebhook('attempted');
    const answer: Answer = await post(sub.url, headers, delivery.body, this.options.mode, this.options.timeoutMs);
    const attempts = delivery.attempts + 1;
    const outcome = outcomeOf(answer.status, attempts, this.options.schedule, delivery.final);
    if (outcome.kind === 'delivered') this.failing.delete(subscriptionId);
    else this.failing.add(subscriptionId);
    const after: Delivery = { ...delivery, attempts, lastAttemptAt: new Date(attemptAt).toISOString(), lastStatus: answer.status, final: false };
    if (outcome.kind === 'retry') {
      await this.store.finish({ ...after, dueAt: Date.now() + outcome.delayMs }, lease);
      return;
    }
    const status = outcome.kind === 'delivered' ? 'delivered' : 'failed';
    if (await this.store.finish({ ...after, status, dueAt: null }, lease)) countWebhook(status);
    if (outcome.kind === 'gone') {
      // SPEC: 410 disables the subscription; every pending delivery of it ends failed.
      await this.store.disable(subscriptionId);
      const failed = await this.store.failPending(subscriptionId);
      for (let i = 0; i < failed; i++) countWebhook('failed');
    }
  }

  /** Sweeps every `intervalMs` until `signal` aborts, then waits for the attempts in flight. */
  async run(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.sweep();
      } catch (error) {
        console.error(`webhook sweep: ${(error as Error).message}`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, intervalMs);
        signal.addEventListener('abort', wake);
      });
    }
    await this.drain();
  }
}
