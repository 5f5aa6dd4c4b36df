// POST /spends/{spendId}/reverse and POST /users/{userId}/spends/{spendId}/reverse
import { service } from '../lib/app.js';
import { endpoint, replyResponse } from '../lib/http/handler.js';
import { reverseBodySchema } from '../lib/domain/schemas/reverse.js';

export const handler = endpoint({ operation: 'reverse', body: reverseBodySchema, bodyOptional: true }, async ({ userId, params, body, idempotency }) =>
  replyResponse(await service.reverse(userId, params.spendId ?? '', body, idempotency)),
);
