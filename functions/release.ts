// POST /holds/{holdId}/release and POST /users/{userId}/holds/{holdId}/release
import { service } from '../lib/app.js';
import { endpoint, replyResponse } from '../lib/http/handler.js';
import { releaseBodySchema } from '../lib/domain/schemas/hold.js';

export const handler = endpoint({ operation: 'release', body: releaseBodySchema, bodyOptional: true }, async ({ userId, params, idempotency }) =>
  replyResponse(await service.release(userId, params.holdId ?? '', idempotency)),
);
