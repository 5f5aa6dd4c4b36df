// POST /add and POST /users/{userId}/add
import { service } from '../lib/app.js';
import { endpoint, replyResponse } from '../lib/http/handler.js';
import { addBodySchema } from '../lib/domain/schemas/add.js';

export const handler = endpoint({ operation: 'add', body: addBodySchema }, async ({ userId, body, idempotency }) =>
  replyResponse(await service.add(userId, body, idempotency)),
);
