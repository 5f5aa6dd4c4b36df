// POST /holds and POST /users/{userId}/holds
import { service } from '../lib/app.js';
import { endpoint, replyResponse } from '../lib/http/handler.js';
import { holdBodySchema } from '../lib/domain/schemas/hold.js';

export const handler = endpoint({ operation: 'hold', body: holdBodySchema }, async ({ userId, body, idempotency }) => replyResponse(await service.hold(userId, body, idempotency)));
