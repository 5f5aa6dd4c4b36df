// GET /statements?payer=P&from=D&to=D: the payer's statement (SPEC "Events and statements").
import { events } from '../lib/app.js';
import { endpoint, jsonResponse } from '../lib/http/handler.js';
import { statementsQuerySchema } from '../lib/http/queries/events.js';

export const handler = endpoint({ operation: 'statements', query: statementsQuerySchema }, async ({ query }) =>
  jsonResponse(JSON.stringify(await events.statement(query.payer, query.from, query.to))),
);
