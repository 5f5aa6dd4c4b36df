// DELETE /webhooks/{webhookId}
import { webhooks } from '../lib/app.js';
import { payerScopeOf } from '../lib/http/auth.js';
import { endpoint } from '../lib/http/handler.js';

export const handler = endpoint({ operation: 'deleteWebhook' }, async ({ event, params }) => {
  await webhooks.delete(payerScopeOf(event), params.webhookId ?? '');
  return { statusCode: 204, headers: {}, body: '' };
});
