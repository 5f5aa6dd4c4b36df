// The webhook routes' operations (SPEC "Webhooks"), for a caller who sees every subscription
// (points:admin, or AUTH_MODE=off) or only one payer's (points:events).
import { ApiError } from '../../domain/errors.js';
import type { CreateWebhookBody, DeliveryStatus, Webhook } from '../../domain/webhooks/schemas.js';
import { newSecret, rotate } from '../../domain/webhooks/signing.js';
import { deliveryView, newSubscription, viewOf, type PayerScope, type Subscription } from '../../domain/webhooks/subscriptions.js';
import { refusalOf, type TargetMode } from '../../domain/webhooks/targets.js';
import { checkHost } from './send.js';
import type { WebhookStore } from './store.js';

const invalidUrl = (message: string) => new ApiError('VALIDATION_FAILED', 'The body is not valid.', [{ path: 'url', message }]);

export class WebhookService {
  constructor(
    private readonly store: WebhookStore,
    private readonly mode: TargetMode,
  ) {}

  async create(scope: PayerScope, body: CreateWebhookBody, now = new Date()): Promise<Webhook & { secret: string }> {
    const refusal = refusalOf(body.url, this.mode);
    if (refusal) throw invalidUrl(refusal);
    // A stage also resolves the host now (and again at every attempt).
    const hostRefusal = this.mode === 'stage' ? await checkHost(new URL(body.url), this.mode) : undefined;
    if (hostRefusal) throw invalidUrl(hostRefusal);
    let payer = body.payer ?? null;
    if (!scope.all) {
      if (body.payer === undefined) payer = scope.payer;
      else if (body.payer !== scope.payer) throw new ApiError('FORBIDDEN', `The token may only subscribe to the events of the payer ${JSON.stringify(scope.payer)}.`);
    }
    const secret = newSecret();
    const sub = newSubscription(body.url, body.types, payer, secret, now);
    await this.store.putSubscription(sub);
    return { ...viewOf(sub), secret };
  }

  async list(scope: PayerScope): Promise<Webhook[]> {
    const subs = await this.store.listSubscriptions();
    return subs.filter((sub) => scope.all || sub.payer === scope.payer).map(viewOf);
  }

  private async visible(scope: PayerScope, id: string): Promise<Subscription> {
    const sub = await this.store.getSubscription(id);
    if (!sub) throw new ApiError('NOT_FOUND', `No webhook ${id}.`);
    if (!scope.all && sub.payer !== scope.payer) throw new ApiError('FORBIDDEN', `The token may only manage the webhooks of the payer ${JSON.stringify(scope.payer)}.`);
    return sub;
  }

  async get(scope: PayerScope, id: string): Promise<Webhook> {
    return viewOf(await this.visible(scope, id));
  }

  async delete(scope: PayerScope, id: string): Promise<void> {
    await this.visible(scope, id);
    await this.store.deleteSubscription(id);
  }

  async rotateSecret(scope: PayerScope, id: string, now = Date.now()): Promise<{ secret: string }> {
    const sub = await this.visible(scope, id);
    const secret = newSecret();
    if (!(await this.store.setSecrets(id, rotate(sub.secrets, secret, now)))) throw new ApiError('NOT_FOUND', `No webhook ${id}.`);
    return { secret };
  }

  async deliveries(scope: PayerScope, id: string, status: DeliveryStatus | undefined, limit: number, after?: string) {
    await this.visible(scope, id);
    const page = await this.store.listDeliveries(id, status, limit, after);
    return { items: page.items.map(deliveryView), next: page.next };
  }

  /** One new attempt of a failed delivery, made by the deliverer's next sweep (at most a second or so). */
  async retry(scope: PayerScope, id: string, deliveryId: string, now = Date.now()): Promise<void> {
    const sub = await this.visible(scope, id);
    const delivery = await this.store.getDelivery(id, deliveryId);
    if (!delivery) throw new ApiError('NOT_FOUND', `No delivery ${deliveryId} of webhook ${id}.`);
    const notRetryable = (why: string) => new ApiError('NOT_RETRYABLE', `Delivery ${deliveryId} cannot be retried: ${why}.`);
    if (sub.status !== 'enabled') throw notRetryable('the webhook is disabled');
    if (delivery.status !== 'failed' || !(await this.store.requeue(id, deliveryId, now))) throw notRetryable(`it is ${delivery.status === 'failed' ? 'no longer failed' : delivery.status}, not failed`);
  }
}
