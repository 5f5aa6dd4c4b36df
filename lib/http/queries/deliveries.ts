// The query of GET /webhooks/{id}/deliveries: the ledger's limit and cursor, and a status.
import * as z from 'zod/mini';
import { DELIVERY_STATUSES } from '../../domain/webhooks/schemas.js';
import { transactionsQuerySchema } from './transactions.js';

export const deliveriesQuerySchema = z.extend(transactionsQuerySchema, {
  status: z.optional(z.enum(DELIVERY_STATUSES)).check(z.meta({ description: 'Only deliveries in this status.' })),
});
