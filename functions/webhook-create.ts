// POST /webhooks
import { webhooks } from '../lib/app.js';
import { payerScopeOf } from '../lib/http/auth.js';
import { endpoint, jsonResponse } from '../lib/http/handler.js';
import { createWebhookBodySchema } from '../lib/domain/webhooks/schemas.js';

export const handler = endpoint({ operation: 'createWebhook', body: createWebhookBodySchema }, async ({ event, body }) =>
  jsonResponse(JSON.stringify(await webhooks.create(payerScopeOf(event), body)), 201),
);
