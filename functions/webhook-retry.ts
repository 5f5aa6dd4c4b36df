// POST /webhooks/{webhookId}/deliveries/{deliveryId}/retry
import { webhooks } from '../lib/app.js';
import { payerScopeOf } from '../lib/http/auth.js';
import { endpoint } from '../lib/http/handler.js';

export const handler = endpoint({ operation: 'retryWebhookDelivery' }, async ({ event, params }) => {
  await webhooks.retry(payerScopeOf(event), params.webhookId ?? '', params.deliveryId ?? '');
  return { statusCode: 202, headers: {}, body: '' };
});
