// GET /balance and GET /users/{userId}/balance
import { service } from '../lib/app.js';
import { endpoint, jsonResponse, orderedObjectJson } from '../lib/http/handler.js';

export const handler = endpoint({ operation: 'balance' }, async ({ userId }) => jsonResponse(orderedObjectJson(await service.balance(userId))));
