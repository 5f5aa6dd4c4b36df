// GET /transactions and GET /users/{userId}/transactions
import { service } from '../lib/app.js';
import { decodeCursor, encodeCursor } from '../lib/http/cursor.js';
import { endpoint, jsonResponse } from '../lib/http/handler.js';
import { transactionsQuerySchema } from '../lib/http/queries/transactions.js';
import type { LedgerPage } from '../lib/domain/schemas/responses.js';

export const handler = endpoint({ operation: 'transactions', query: transactionsQuerySchema }, async ({ userId, query }) => {
  const afterSeq = query.cursor === undefined ? 0 : decodeCursor(userId, query.cursor);
  const slice = await service.transactions(userId, afterSeq, query.limit);
  const last = slice.items.at(-1);
  const page: LedgerPage = {
    items: slice.items.map(({ item }) => item),
    nextCursor: slice.more && last ? encodeCursor(userId, last.seq) : null,
  };
  return jsonResponse(JSON.stringify(page));
});
