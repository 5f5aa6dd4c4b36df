// POST /spend and POST /users/{userId}/spend
import { service } from '../lib/app.js';
import { endpoint, replyResponse } from '../lib/http/handler.js';
import { spendBodySchema } from '../lib/domain/schemas/spend.js';

export const handler = endpoint({ operation: 'spend', body: spendBodySchema }, async ({ userId, body, idempotency }) =>
  replyResponse(await service.spend(userId, body, idempotency)),
);
