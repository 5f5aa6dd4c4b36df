// GET /webhooks/{webhookId}/deliveries
import { webhooks } from '../lib/app.js';
import { payerScopeOf } from '../lib/http/auth.js';
import { decodeKeyCursor, encodeCursor } from '../lib/http/cursor.js';
import { endpoint, jsonResponse } from '../lib/http/handler.js';
import { deliveriesQuerySchema } from '../lib/http/queries/deliveries.js';

export const handler = endpoint({ operation: 'listWebhookDeliveries', query: deliveriesQuerySchema }, async ({ event, params, query }) => {
  const id = params.webhookId ?? '';
  // A cursor belongs to one webhook and one status filter.
  const owner = `${id}\n${query.status ?? ''}`;
  const after = query.cursor === undefined ? undefined : decodeKeyCursor(owner, query.cursor);
  const page = await webhooks.deliveries(payerScopeOf(event), id, query.status, query.limit, after);
  return jsonResponse(JSON.stringify({ items: page.items, nextCursor: page.next === undefined ? null : encodeCursor(owner, page.next) }));
});
