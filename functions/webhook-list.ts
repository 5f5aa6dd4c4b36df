// GET /webhooks
import { webhooks } from '../lib/app.js';
import { payerScopeOf } from '../lib/http/auth.js';
import { endpoint, jsonResponse } from '../lib/http/handler.js';

export const handler = endpoint({ operation: 'listWebhooks' }, async ({ event }) => jsonResponse(JSON.stringify({ items: await webhooks.list(payerScopeOf(event)) })));
