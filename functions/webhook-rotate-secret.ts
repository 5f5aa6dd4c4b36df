// POST /webhooks/{webhookId}/rotate-secret
import { webhooks } from '../lib/app.js';
import { payerScopeOf } from '../lib/http/auth.js';
import { endpoint, jsonResponse } from '../lib/http/handler.js';

export const handler = endpoint({ operation: 'rotateWebhookSecret' }, async ({ event, params }) =>
  jsonResponse(JSON.stringify(await webhooks.rotateSecret(payerScopeOf(event), params.webhookId ?? ''))),
);
