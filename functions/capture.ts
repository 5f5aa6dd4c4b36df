// POST /holds/{holdId}/capture and POST /users/{userId}/holds/{holdId}/capture
import { service } from '../lib/app.js';
import { endpoint, replyResponse } from '../lib/http/handler.js';
import { captureBodySchema } from '../lib/domain/schemas/hold.js';

export const handler = endpoint({ operation: 'capture', body: captureBodySchema, bodyOptional: true }, async ({ userId, params, body, idempotency }) =>
  replyResponse(await service.capture(userId, params.holdId ?? '', body, idempotency)),
);
