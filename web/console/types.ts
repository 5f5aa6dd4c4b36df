// What the API answers: the types of the server's own response schemas (type-only, so nothing of
// zod reaches the browser bundle).
import type { Problem as ApiProblem } from '../../lib/domain/schemas/responses.js';

export type { AddItem, Breakdown, LedgerItem, LedgerPage, ReversalItem } from '../../lib/domain/schemas/responses.js';

export type Balance = Record<string, number>;

/** A refusal from the API, or the console's own words when no answer came. */
export type Problem = Pick<ApiProblem, 'status' | 'detail'> & Partial<ApiProblem>;

export type { Webhook } from '../../lib/domain/webhooks/schemas.js';
import type { DeliveryView } from '../../lib/domain/webhooks/schemas.js';
export type DeliveryPage = { items: DeliveryView[]; nextCursor: string | null };
