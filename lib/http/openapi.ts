// GET /openapi.json: an OpenAPI 3.1 document generated from the schemas that validate requests and
// the response schemas (lib/domain/schemas/), and from tables: what each operation is
// (OPERATIONS, pageEntry), and which refusals a route can give, from what the route has (REFUSALS).
// A new route writes its entry; its parameters, error responses and security follow from it.
import * as z from 'zod/mini';
import { addBodySchema } from '../domain/schemas/add.js';
import { idempotencyKeySchema, ledgerIdMeta, userIdSchema } from '../domain/schemas/fields.js';
import { reverseBodySchema } from '../domain/schemas/reverse.js';
import { spendBodySchema } from '../domain/schemas/spend.js';
import { ERROR_CODES, PROBLEMS, type ErrorCode } from '../domain/errors.js';
import { transactionsQuerySchema } from './queries/transactions.js';
import {
  addItemSchema,
  balanceDetailSchema,
  balanceSchema,
  breakdownSchema,
  holdItemSchema,
  ledgerPageSchema,
  problemSchema,
  releaseItemSchema,
  reversalItemSchema,
  spendItemSchema,
} from '../domain/schemas/responses.js';
import { captureBodySchema, holdBodySchema, releaseBodySchema } from '../domain/schemas/hold.js';
import { balanceQuerySchema } from './queries/balance.js';
import { deliveriesQuerySchema } from './queries/deliveries.js';
import { createWebhookBodySchema, deliveryPageSchema, rotatedSecretSchema, webhookListSchema, webhookSchema, webhookWithSecretSchema } from '../domain/webhooks/schemas.js';
import { eventsQuerySchema, statementsQuerySchema } from './queries/events.js';
import { feedPageSchema } from '../domain/events.js';
import { statementSchema } from '../domain/statement.js';
import { PUBLIC_OPERATIONS, SCOPES, scopesFor } from '../auth/access.js';
import { ALGORITHMS, LEEWAY_SECONDS } from '../auth/jwt.js';
import { MAX_BODY_BYTES } from '../domain/limits.js';
import { PROBLEM_TYPE, RETRY_AFTER_SECONDS } from './problem.js';
import { ROUTES, isApiRoute, type PageOperation, type Route } from './routes.js';

type Json = Record<string, unknown>;

// Timestamps are transformed after validation; the document describes what clients send.
const schema = (s: z.core.$ZodType, io: 'input' | 'output' = 'input'): Json => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  return rest;
};

const json = (s: z.core.$ZodType, io: 'input' | 'output' = 'output') => ({ content: { 'application/json': { schema: schema(s, io) } } });
const problem = (description: string) => ({ description, content: { [PROBLEM_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } });

/** A query schema's properties as query parameters, required as the schema says. */
function queryParameters(query: z.core.$ZodType) {
  const { properties = {}, required = [] } = schema(query) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(properties).map(([name, s]) => ({ name, in: 'query', required: required.includes(name), schema: s }));
}

const idempotencyHeader = { name: 'Idempotency-Key', in: 'header', required: false, schema: schema(idempotencyKeySchema) };
/** A path parameter naming a ledger item: any other text is simply not found. */
const ledgerIdParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', ...ledgerIdMeta },
});

const TAGS = {
  points: 'Earn, spend and read points.',
  ledger: 'The ledger: every item in recorded order, and reversals of spends.',
  pages: 'This document and the HTML pages built on it.',
  events: "A payer's events from every user, and statements to settle by.",
  webhooks: 'Subscriptions that push events to a URL (Standard Webhooks), and their deliveries.',
} as const;

interface Entry {
  tag: keyof typeof TAGS;
  summary: string;
  description: string;
  /** Parameters besides userId and Idempotency-Key, which follow from the route. */
  parameters?: Json[];
  requestBody?: Json;
  /** The answers besides the refusals (200, …); a status given here replaces the generated one. */
  responses: Record<number, Json>;
  /** Refusals of the operation's own rules, beyond those its route implies, each with what it means here. */
  refusals?: Partial<Record<ErrorCode, string>>;
}

/** Capture and release: a hold's id, an optional body, and the record they answer with. */
const endOfHold = (summary: string, description: string, body: z.core.$ZodType, answer: string, recorded: z.core.$ZodType, refusals: Entry['refusals']): Entry => ({
  tag: 'points',
  summary,
  description,
  parameters: [ledgerIdParameter('holdId', 'Id of the hold, as its ledger item gives it.')],
  requestBody: { required: false, ...json(body, 'input') },
  responses: { 200: { description: answer, ...json(recorded) } },
  refusals: { NOT_FOUND: 'No hold with this id for this user.', HOLD_NOT_ACTIVE: 'The hold was already captured, released or expired.', ...refusals },
});

const webhookId = { name: 'webhookId', in: 'path', required: true, description: 'Id of the subscription.', schema: { type: 'string', maxLength: 64 } };
const deliveryId = { name: 'deliveryId', in: 'path', required: true, description: 'Id of the delivery.', schema: { type: 'string', maxLength: 256 } };
const NO_WEBHOOK = { NOT_FOUND: 'No subscription with this id that the caller may see.' } as const;

const OPERATIONS: Record<Exclude<Route['operation'], PageOperation>, Entry> = {
  add: {
    tag: 'points',
    summary: 'Record a transaction',
    description: "A positive add opens a lot of the payer's points; a negative one deducts from the payer's lots, oldest first. The answer is the recorded ledger item.",
    requestBody: { required: true, ...json(addBodySchema, 'input') },
    responses: { 200: { description: 'The recorded transaction', ...json(addItemSchema) } },
    refusals: {
      INSUFFICIENT_PAYER_POINTS: "A negative add larger than the payer's balance.",
      LIMIT_EXCEEDED: 'The add would take a balance or the total past 2^53 - 1, or the user past the most payers it may have.',
    },
  },
  spend: {
    tag: 'points',
    summary: 'Spend points',
    description: 'Takes the points from the oldest lots first, across payers. The answer lists the points taken from each payer, in the order the payers were first drawn on.',
    requestBody: { required: true, ...json(spendBodySchema, 'input') },
    responses: { 200: { description: 'Points taken from each payer', ...json(breakdownSchema) } },
    refusals: { INSUFFICIENT_POINTS: "More points than the user's total." },
  },
  balance: {
    tag: 'points',
    summary: 'Balance per payer',
    description:
      'Every payer the user ever had, with its available balance (zero included), oldest payer first. With `view=detail`, each payer as `{available, held, pending}`.',
    parameters: queryParameters(balanceQuerySchema),
    responses: {
      200: {
        description: 'Payer to available points; with view=detail, payer to {available, held, pending}',
        content: { 'application/json': { schema: { oneOf: [schema(balanceSchema, 'output'), schema(balanceDetailSchema, 'output')] } } },
      },
    },
  },
  transactions: {
    tag: 'ledger',
    summary: 'The ledger in recorded order',
    description: 'Adds (with what remains of each lot), spends (with their breakdown), expiries and reversals, in the order they were recorded. Follow nextCursor for the next page.',
    parameters: queryParameters(transactionsQuerySchema),
    responses: { 200: { description: 'A page of the ledger', ...json(ledgerPageSchema) } },
  },
  reverse: {
    tag: 'ledger',
    summary: 'Reverse a spend',
    description:
      'Gives back points of a spend (all not yet reversed, or `points` of them): the last-taken points first, into the lots they came from. The answer is the recorded reversal.',
    parameters: [ledgerIdParameter('spendId', 'Id of the spend, as its ledger item gives it.')],
    requestBody: { required: false, ...json(reverseBodySchema, 'input') },
    responses: { 200: { description: 'The recorded reversal', ...json(reversalItemSchema) } },
    refusals: { NOT_FOUND: 'No spend with this id for this user.', EXCEEDS_SPEND: 'More points than the spend still has unreversed.' },
  },
  problems: {
    tag: 'pages',
    summary: 'What an error code means',
    description: 'An HTML page naming the code, its status and when it is given: the `type` of every problem+json answer leads here.',
    parameters: [{ name: 'code', in: 'path', required: true, description: 'An error code.', schema: { type: 'string', enum: ERROR_CODES } }],
    responses: { 200: { description: "The code's status, title and when it is given", content: { 'text/html': { schema: { type: 'string', maxLength: 65536 } } } } },
    refusals: { NOT_FOUND: 'No such code.' },
  },
  hold: {
    tag: 'points',
    summary: 'Hold points',
    description:
      'Takes points oldest first, exactly as a spend of the same size would, into a hold that is captured, released, or releases itself at `expiresAt` (default 7 days, at most 31). Held points leave the balance at once. The answer is the recorded hold.',
    requestBody: { required: true, ...json(holdBodySchema, 'input') },
    responses: { 200: { description: 'The recorded hold', ...json(holdItemSchema) } },
    refusals: { INSUFFICIENT_POINTS: "More points than the user's available total." },
  },
  capture: endOfHold(
    'Capture a hold',
    "Records a spend of the hold's oldest points (all of it, or `points` of it); the rest goes back into the lots it came from, recorded as a release. The answer is the recorded spend.",
    captureBodySchema,
    'The recorded spend',
    spendItemSchema,
    { EXCEEDS_HOLD: 'More points than the hold holds.' },
  ),
  release: endOfHold('Release a hold', 'Gives every held point back into the exact lots it came from. The answer is the recorded release.', releaseBodySchema, 'The recorded release', releaseItemSchema, {}),
  createWebhook: {
    tag: 'webhooks',
    summary: 'Subscribe a URL to events',
    description: 'Events committed from now on that match `types` (default all) and `payer` are POSTed to the URL, signed following Standard Webhooks. The answer carries the signing secret, shown only here.',
    requestBody: { required: true, ...json(createWebhookBodySchema, 'input') },
    responses: { 201: { description: 'The subscription and its secret', ...json(webhookWithSecretSchema) } },
  },
  listWebhooks: {
    tag: 'webhooks',
    summary: 'List subscriptions',
    description: 'The subscriptions the caller may see, without secrets.',
    responses: { 200: { description: 'Subscriptions', ...json(webhookListSchema) } },
  },
  getWebhook: {
    tag: 'webhooks',
    summary: 'One subscription',
    description: 'One subscription, without its secret.',
    parameters: [webhookId],
    responses: { 200: { description: 'The subscription', ...json(webhookSchema) } },
    refusals: NO_WEBHOOK,
  },
  deleteWebhook: {
    tag: 'webhooks',
    summary: 'Remove a subscription',
    description: 'Nothing more is sent to it.',
    parameters: [webhookId],
    responses: { 204: { description: 'Removed' } },
    refusals: NO_WEBHOOK,
  },
  rotateWebhookSecret: {
    tag: 'webhooks',
    summary: 'Rotate the signing secret',
    description: 'A new signing secret; the previous one keeps signing beside it for 24 hours.',
    parameters: [webhookId],
    responses: { 200: { description: 'The new secret', ...json(rotatedSecretSchema) } },
    refusals: NO_WEBHOOK,
  },
  listWebhookDeliveries: {
    tag: 'webhooks',
    summary: "A subscription's deliveries",
    description: 'Deliveries oldest event first, optionally only those `pending`, `delivered` or `failed`.',
    parameters: [webhookId, ...queryParameters(deliveriesQuerySchema)],
    responses: { 200: { description: 'A page of deliveries', ...json(deliveryPageSchema) } },
    refusals: NO_WEBHOOK,
  },
  retryWebhookDelivery: {
    tag: 'webhooks',
    summary: 'Retry a failed delivery',
    description: 'One new attempt, at once, of a failed delivery of an enabled subscription.',
    parameters: [webhookId, deliveryId],
    responses: { 202: { description: 'Accepted: the attempt is made at once' } },
    refusals: { NOT_FOUND: 'No such subscription or delivery.', NOT_RETRYABLE: 'The delivery is not failed, or the subscription is disabled.' },
  },
  events: {
    tag: 'events',
    summary: "A payer's events",
    description: "A page of a payer's events, from every user: each user's in sequence order. nextCursor is always given and resumes exactly after the page.",
    parameters: queryParameters(eventsQuerySchema),
    responses: { 200: { description: "A page of the payer's feed", ...json(feedPageSchema) } },
  },
  statements: {
    tag: 'events',
    summary: "A payer's statement",
    description: 'Per UTC day and in total, the points added, deducted, spent, reversed, expired, held and released, and the points outstanding over all time, as of `asOf`.',
    parameters: queryParameters(statementsQuerySchema),
    responses: { 200: { description: 'The statement', ...json(statementSchema) } },
  },
  openapi: {
    tag: 'pages',
    summary: 'This document',
    description: 'The OpenAPI 3.1 description of every route, generated from the schemas that validate requests.',
    responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
  },
};

const PAGE_TITLES: Record<PageOperation, string> = { docs: 'This API reference, rendered (Swagger UI)', console: 'The operator console' };

/** The pages: HTML for people, and the files each loads under content-hashed names. */
function pageEntry(route: Route & { operation: PageOperation }): Entry {
  const title = PAGE_TITLES[route.operation];
  if (!route.path.endsWith('/{asset}')) {
    return { tag: 'pages', summary: title, description: `${title}: an HTML page that loads only files of this service.`, responses: { 200: { description: 'The page', content: { 'text/html': {} } } } };
  }
  return {
    tag: 'pages',
    summary: `A file the page loads: ${PAGE_TITLES[route.operation]}`,
    description: 'Cached for good (its name changes with its content); brotli or gzip when the client accepts it.',
    parameters: [
      {
        name: 'asset',
        in: 'path',
        required: true,
        description: 'The file name, as the page names it; any other name is not found.',
        schema: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', maxLength: 255 },
      },
    ],
    responses: { 200: { description: 'The file' } },
    refusals: { NOT_FOUND: 'No such file (the page was reloaded since it named it).' },
  };
}

/** What a route has, which decides the refusals it can give. */
interface Traits {
  hasBody: boolean;
  /** Validates something the client sends: a body, a query, a userId in the path. */
  validates: boolean;
  /** The path names a record besides the user (a spend, a file): an unknown one is not found. */
  namesRecord: boolean;
  needsToken: boolean;
  /** Reads or writes the database, and with AUTH_MODE=jwt may fetch the issuer's keys. */
  usesStorage: boolean;
  writes: boolean;
}

function traitsOf(route: Route, entry: Entry): Traits {
  const pathParameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const hasBody = entry.requestBody !== undefined;
  return {
    hasBody,
    validates: hasBody || pathParameters.includes('userId') || (entry.parameters ?? []).some((p) => p.in === 'query'),
    namesRecord: pathParameters.some((name) => name !== 'userId'),
    needsToken: scopesFor(route.operation).length > 0,
    usesStorage: !PUBLIC_OPERATIONS.has(route.operation),
    writes: route.method !== 'GET',
  };
}

/** SPEC "Errors": the refusals a route can give because of what it has, and what each means. */
const REFUSALS: readonly [ErrorCode, (t: Traits) => boolean, string][] = [
  ['VALIDATION_FAILED', (t) => t.validates, 'The body, query, path or Idempotency-Key is not valid; `errors` lists each problem.'],
  ['UNAUTHENTICATED', (t) => t.needsToken, 'AUTH_MODE=jwt: no valid bearer token (see WWW-Authenticate).'],
  ['FORBIDDEN', (t) => t.needsToken, 'The token lacks the right to this user, payer or route.'],
  ['NOT_FOUND', (t) => t.namesRecord, 'No such record for this user.'],
  ['PAYLOAD_TOO_LARGE', (t) => t.hasBody, `A body over ${MAX_BODY_BYTES} bytes.`],
  ['UNSUPPORTED_MEDIA_TYPE', (t) => t.hasBody, 'A body whose Content-Type is not application/json.'],
  ['IDEMPOTENCY_KEY_REUSED', (t) => t.hasBody, 'The Idempotency-Key was used with a different body.'],
  ['INTERNAL', () => true, 'A fault of the service (never caused by input); the request may be retried. A function that fails outright gets API Gateway\'s `{"message": "Internal Server Error"}` (application/json) instead.'],
  ['SERVICE_UNAVAILABLE', (t) => t.usesStorage, "The database (or the token issuer's keys) could not be reached in time; nothing was applied."],
  ['OUTCOME_UNKNOWN', (t) => t.usesStorage && t.writes, 'A write was sent and its result could not be learnt; retry with the same Idempotency-Key to learn it.'],
];

const HEADERS: Partial<Record<number, Json>> = {
  401: {
    'WWW-Authenticate': {
      description: 'The Bearer challenge; `error="invalid_token"` when a token was sent.',
      schema: { type: 'string', pattern: '^Bearer ', maxLength: 256 },
    },
  },
  403: {
    'WWW-Authenticate': {
      description: 'The Bearer challenge `error="insufficient_scope"`, naming a scope that would allow the request.',
      schema: { type: 'string', pattern: '^Bearer ', maxLength: 256 },
    },
  },
  503: {
    'Retry-After': {
      description: 'Seconds to wait before retrying.',
      schema: { type: 'integer', format: 'int32', minimum: RETRY_AFTER_SECONDS, maximum: RETRY_AFTER_SECONDS },
    },
  },
};

/** API Gateway's own answers, which never reach a function (their body is API Gateway's). */
const GATEWAY = { $ref: '#/components/schemas/GatewayMessage' };
const THROTTLED = {
  description: 'API Gateway throttled the request (the stage allows so many requests per second, and a burst); try again later.',
  content: { 'application/json': { schema: GATEWAY } },
};

/** One response per status, listing each code the route can give with what it means there. */
function refusalResponses(route: Route, entry: Entry): Record<number, Json> {
  const traits = traitsOf(route, entry);
  const codes = new Map<ErrorCode, string>(REFUSALS.filter(([, applies]) => applies(traits)).map(([code, , meaning]) => [code, meaning]));
  for (const [code, meaning] of Object.entries(entry.refusals ?? {}) as [ErrorCode, string][]) codes.set(code, meaning);
  const responses: Record<number, Json> = { 429: THROTTLED };
  for (const [code, meaning] of codes) {
    const status = PROBLEMS[code].status;
    const line = `- \`${code}\`: ${meaning}`;
    const existing = responses[status];
    responses[status] = existing ? { ...existing, description: `${existing.description as string}\n${line}` } : { ...problem(line), ...(HEADERS[status] ? { headers: HEADERS[status] } : {}) };
  }
  // A function that fails outright (crash, timeout) gets API Gateway's 500 instead of a problem.
  const internal = responses[500] as { content: Json };
  internal.content = { ...internal.content, 'application/json': { schema: GATEWAY } };
  return responses;
}

function parametersOf(route: Route, entry: Entry): Json[] {
  const parameters = [
    ...(route.path.includes('{userId}') ? [{ name: 'userId', in: 'path', required: true, schema: schema(userIdSchema) }] : []),
    ...(entry.parameters ?? []),
    ...(entry.requestBody ? [idempotencyHeader] : []),
  ];
  return parameters.filter((p, i) => parameters.findIndex((q) => q.name === p.name && q.in === p.in) === i);
}

function operationOf(route: Route): Json {
  const entry = isApiRoute(route) ? OPERATIONS[route.operation] : pageEntry(route as Route & { operation: PageOperation });
  const { tag, refusals: _refusals, responses, ...rest } = entry;
  const variant = route.path.includes('{userId}') ? 'ForUser' : route.path.endsWith('/{asset}') ? 'Asset' : '';
  return {
    ...rest,
    tags: [tag],
    operationId: `${route.operation}${variant}`,
    // Any one of the listed scopes allows the operation (an empty list: no token needed).
    security: scopesFor(route.operation).map((scope) => ({ bearer: [scope] })),
    parameters: parametersOf(route, entry),
    responses: { ...refusalResponses(route, entry), ...responses },
  };
}

const BEARER_DESCRIPTION = [
  'With AUTH_MODE=jwt, a JWT verified following RFC8725 (JSON Web Token Best Current Practices):',
  `- a JWS signed with ${ALGORITHMS.join(' or ')} by a key of the issuer's key set; never \`none\`, never an HMAC algorithm;`,
  '- `iss` must be the configured issuer and `aud` one of the configured audiences (a token without `aud` only as a Cognito access token whose `client_id` is one);',
  `- \`exp\` is required and must not be past, with at most ${LEEWAY_SECONDS} s of clock leeway; \`nbf\`, when present, must not be in the future;`,
  '- a token whose `token_use` is `id` (an ID token) is refused.',
  '',
  '`sub` names the user the bare routes act on; `scope` holds:',
  ...Object.entries(SCOPES).map(([scope, allows]) => `- \`${scope}\`: ${allows}`),
  '',
  'With AUTH_MODE=off no token is needed.',
].join('\n');

export function openApiDocument() {
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) (paths[route.path] ??= {})[route.method.toLowerCase()] = operationOf(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Points',
      version: '1.0.0',
      description: 'A points ledger: payers give points, users spend them oldest first.',
      contact: { name: 'The Points maintainers' },
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/', description: 'This origin (local or production)', 'x-internal': false }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: {
        Problem: schema(problemSchema, 'output'),
        GatewayMessage: {
          type: 'object',
          description: "API Gateway's own error body.",
          required: ['message'],
          properties: { message: { type: 'string', enum: ['Too Many Requests', 'Internal Server Error'] } },
        },
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: BEARER_DESCRIPTION } },
    },
  };
}
