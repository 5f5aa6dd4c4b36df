// GET /webhooks/{webhookId}
import { webhooks } from '../lib/app.js';
import { payerScopeOf } from '../lib/http/auth.js';
import { endpoint, jsonResponse } from '../lib/http/handler.js';

export const handler = endpoint({ operation: 'getWebhook' }, async ({ event, params }) =>
  jsonResponse(JSON.stringify(await webhooks.get(payerScopeOf(event), params.webhookId ?? ''))),
);
