// GET /openapi.json: an OpenAPI 3.1 document generated from the schemas that validate requests.
import * as z from 'zod/mini';
import { addBodySchema } from '../domain/schemas/add.js';
import { idempotencyKeySchema, userIdSchema } from '../domain/schemas/fields.js';
import { reverseBodySchema } from '../domain/schemas/reverse.js';
import { spendBodySchema } from '../domain/schemas/spend.js';
import { transactionsQuerySchema } from './queries/transactions.js';
import { deliveriesQuerySchema } from './queries/deliveries.js';
import { createWebhookBodySchema, deliveryPageSchema, rotatedSecretSchema, webhookListSchema, webhookSchema, webhookWithSecretSchema } from '../domain/webhooks/schemas.js';
import { eventsQuerySchema, statementsQuerySchema } from './queries/events.js';
import { feedPageSchema } from '../domain/events.js';
import { statementSchema } from '../domain/statement.js';
import { addItemSchema, balanceSchema, breakdownSchema, ledgerPageSchema, problemSchema, reversalItemSchema } from '../domain/schemas/responses.js';
import { SCOPES, scopesFor } from '../auth/access.js';
import { ROUTES, isApiRoute, isPageRoute, type PageOperation, type Route } from './routes.js';

// Timestamps are transformed after validation; the document describes what clients send.
const schema = (s: z.core.$ZodType, io: 'input' | 'output' = 'input') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const json = (s: z.core.$ZodType, io: 'input' | 'output' = 'output') => ({ content: { 'application/json': { schema: schema(s, io) } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
/** README "Failure behaviour". */
const unavailable = {
  ...problem('The database is unavailable: SERVICE_UNAVAILABLE (nothing was applied) or, for a write, OUTCOME_UNKNOWN (retry with the same Idempotency-Key to learn the outcome)'),
  headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } } },
};

/** A query schema's properties as query parameters, required as the schema says. */
function queryParameters(query: z.core.$ZodType) {
  const { properties = {}, required = [] } = schema(query) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(properties).map(([name, s]) => ({ name, in: 'query', required: required.includes(name), schema: s }));
}

const idempotencyHeader = { name: 'Idempotency-Key', in: 'header', required: false, schema: schema(idempotencyKeySchema) };

const webhookId = { name: 'webhookId', in: 'path', required: true, schema: { type: 'string' } };
const deliveryId = { name: 'deliveryId', in: 'path', required: true, schema: { type: 'string' } };
const unknownWebhook = problem('Unknown route, or no webhook with this id');

const OPERATIONS: Record<Exclude<Route['operation'], PageOperation>, Record<string, unknown>> = {
  add: {
    summary: 'Record a transaction: a positive add opens a lot, a negative one deducts from the payer oldest first',
    parameters: [idempotencyHeader],
    requestBody: { required: true, ...json(addBodySchema, 'input') },
    responses: { 200: { description: 'The recorded transaction', ...json(addItemSchema) } },
  },
  spend: {
    summary: 'Spend points, oldest first across payers',
    parameters: [idempotencyHeader],
    requestBody: { required: true, ...json(spendBodySchema, 'input') },
    responses: { 200: { description: 'Points taken from each payer, in the order first drawn on', ...json(breakdownSchema) } },
  },
  balance: {
    summary: 'Balance of every payer the user ever had',
    responses: { 200: { description: 'Payer to points', ...json(balanceSchema) } },
  },
  transactions: {
    summary: 'The ledger in recorded order',
    parameters: queryParameters(transactionsQuerySchema),
    responses: { 200: { description: 'A page of the ledger', ...json(ledgerPageSchema) } },
  },
  reverse: {
    summary: 'Give back points of a spend (all not yet reversed, or `points` of them): the last-taken points first, into the lots they came from',
    parameters: [{ name: 'spendId', in: 'path', required: true, schema: { type: 'string' } }, idempotencyHeader],
    requestBody: { required: false, ...json(reverseBodySchema, 'input') },
    responses: {
      200: { description: 'The recorded reversal', ...json(reversalItemSchema) },
      404: problem('Unknown route, or no spend with this id for this user'),
    },
  },
  createWebhook: {
    summary: 'Subscribe a URL to events (Standard Webhooks); the answer carries the signing secret, shown only here',
    requestBody: { required: true, ...json(createWebhookBodySchema, 'input') },
    responses: { 201: { description: 'The subscription and its secret', ...json(webhookWithSecretSchema) } },
  },
  listWebhooks: {
    summary: 'The subscriptions the caller may see, without secrets',
    responses: { 200: { description: 'Subscriptions', ...json(webhookListSchema) } },
  },
  getWebhook: {
    summary: 'One subscription, without its secret',
    parameters: [webhookId],
    responses: { 200: { description: 'The subscription', ...json(webhookSchema) }, 404: unknownWebhook },
  },
  deleteWebhook: {
    summary: 'Remove a subscription: nothing more is sent to it',
    parameters: [webhookId],
    responses: { 204: { description: 'Removed' }, 404: unknownWebhook },
  },
  rotateWebhookSecret: {
    summary: 'A new signing secret; the previous one keeps signing beside it for 24 hours',
    parameters: [webhookId],
    responses: { 200: { description: 'The new secret', ...json(rotatedSecretSchema) }, 404: unknownWebhook },
  },
  listWebhookDeliveries: {
    summary: "A subscription's deliveries, oldest event first",
    parameters: [webhookId, ...queryParameters(deliveriesQuerySchema)],
    responses: { 200: { description: 'A page of deliveries', ...json(deliveryPageSchema) }, 404: unknownWebhook },
  },
  retryWebhookDelivery: {
    summary: 'One new attempt of a failed delivery of an enabled subscription',
    parameters: [webhookId, deliveryId],
    responses: {
      202: { description: 'Accepted: the attempt is made at once' },
      404: problem('Unknown route, webhook or delivery'),
      409: problem('NOT_RETRYABLE: the delivery is not failed, or the subscription is disabled'),
    },
  },
  events: {
    summary: "A page of a payer's events, from every user: each user's in sequence order; nextCursor resumes exactly after the page",
    parameters: queryParameters(eventsQuerySchema),
    responses: { 200: { description: "A page of the payer's feed", ...json(feedPageSchema) } },
  },
  statements: {
    summary: "A payer's statement: per UTC day and in total, the points added, deducted, spent, reversed, expired, held and released, and outstanding over all time",
    parameters: queryParameters(statementsQuerySchema),
    responses: { 200: { description: 'The statement', ...json(statementSchema) } },
  },
  openapi: {
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
  },
};

const PAGE_TITLES: Record<PageOperation, string> = { docs: 'This API reference, rendered (Swagger UI)', console: 'The operator console' };

/** The pages: HTML for people, open without a token in every auth mode (`security: []`). */
function pagePaths() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES.filter(isPageRoute)) {
    const asset = route.path.endsWith('/{asset}');
    paths[route.path] = {
      get: {
        operationId: `${route.operation}${asset ? 'Asset' : ''}`,
        summary: asset ? `A file the page loads: ${PAGE_TITLES[route.operation]}` : PAGE_TITLES[route.operation],
        security: [],
        parameters: asset ? [{ name: 'asset', in: 'path', required: true, schema: { type: 'string', description: 'Content-hashed file name, cached for good.' } }] : [],
        responses: {
          200: asset ? { description: 'The file; brotli or gzip when the client accepts it' } : { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } },
          ...(asset ? { 404: problem('No such file') } : {}),
        },
      },
    };
  }
  return paths;
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES.filter(isApiRoute)) {
    const userParameter = route.path.includes('{userId}') ? [{ name: 'userId', in: 'path', required: true, schema: schema(userIdSchema) }] : [];
    const operation = OPERATIONS[route.operation];
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      ...operation,
      operationId: `${route.operation}${userParameter.length ? 'ForUser' : ''}`,
      // Any one of the listed scopes allows the operation (an empty list: no token needed).
      security: scopesFor(route.operation).map((scope) => ({ bearer: [scope] })),
      parameters: [...userParameter, ...((operation.parameters as unknown[]) ?? [])],
      responses: {
        400: problem('Validation failed, or the ledger refuses the request (see code)'),
        404: problem('Unknown route'),
        405: problem('Method not allowed'),
        ...(scopesFor(route.operation).length
          ? { 401: problem('No valid bearer token (AUTH_MODE=jwt); see WWW-Authenticate'), 403: problem('The token lacks the right to this user, payer or route') }
          : {}),
        ...(route.method === 'POST'
          ? { 413: problem('Body over 16 KiB'), 422: problem('Idempotency-Key reused with a different body') }
          : {}),
        ...(route.operation === 'openapi' ? {} : { 503: unavailable }),
        ...(operation.responses as object),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Points', version: '1.0.0', description: 'A points ledger: payers give points, users spend them oldest first.' },
    paths: { ...paths, ...pagePaths() },
    components: {
      schemas: { Problem: schema(problemSchema, 'output') },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: [
            'With AUTH_MODE=jwt: a JWT (RS256 or ES256) from the configured issuer and audience. `sub` names the user the bare routes act on; `scope` holds:',
            ...Object.entries(SCOPES).map(([scope, allows]) => `- \`${scope}\`: ${allows}`),
            'With AUTH_MODE=off no token is needed.',
          ].join('\n'),
        },
      },
    },
  };
}
