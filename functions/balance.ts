// GET /balance and GET /users/{userId}/balance (?view=detail: SPEC "Balance detail")
import { service } from '../lib/app.js';
import { endpoint, jsonResponse, orderedObjectJson } from '../lib/http/handler.js';
import { balanceQuerySchema } from '../lib/http/queries/balance.js';

export const handler = endpoint({ operation: 'balance', query: balanceQuerySchema }, async ({ userId, query }) =>
  jsonResponse(orderedObjectJson(query.view === 'detail' ? await service.balanceDetail(userId) : await service.balance(userId))),
);
