// GET /events?payer=P: a page of the payer's feed (SPEC "Events and statements").
import { events } from '../lib/app.js';
import { decodeFeedCursor, encodeFeedCursor } from '../lib/http/feed-cursor.js';
import { endpoint, jsonResponse } from '../lib/http/handler.js';
import { eventsQuerySchema } from '../lib/http/queries/events.js';

export const handler = endpoint({ operation: 'events', query: eventsQuerySchema }, async ({ query }) => {
  const after = query.cursor === undefined ? undefined : decodeFeedCursor(query.payer, query.cursor);
  const slice = await events.feed(query.payer, after, query.limit);
  // Events are stored as JSON text in SPEC's field order.
  return jsonResponse(`{"items":[${slice.events.join(',')}],"nextCursor":${JSON.stringify(encodeFeedCursor(query.payer, slice.positions))},"hasMore":${slice.more}}`);
});
