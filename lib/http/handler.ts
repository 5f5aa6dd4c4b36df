// lib/http/: the middy edge (request parsing, access, problem+json, headers), routes, cursors,
// the OpenAPI document and the pages. Imports domain/, service/, auth/ and telemetry/.
//
// The HTTP edge shared by every handler: a middy stack that reads and validates the request
// (path, query, headers, body), and the one place where errors become problem+json.
import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { access, actingUser, callerOf, checkBodyPayer } from './auth.js';
import { withDeadline } from '../service/deadline.js';
import { ApiError, type FieldError } from '../domain/errors.js';
import { header } from './headers.js';
import type { Route } from './routes.js';
import { idempotencyKeySchema, userIdSchema } from '../domain/schemas/fields.js';
import type { Idempotency, Reply } from '../domain/idempotency.js';
import { MAX_BODY_BYTES } from '../domain/limits.js';
import { NO_STORE, PROBLEM_TYPE, failClosed, problemJson, type Event, type Response } from './problem.js';
import { noteUserId, telemetry } from '../telemetry/telemetry.js';

type ZodType = z.core.$ZodType;

const JSON_TYPE = 'application/json';

export const jsonResponse = (body: string, statusCode = 200, headers: Record<string, string> = {}): Response => ({
  statusCode,
  headers: { 'content-type': statusCode >= 400 ? PROBLEM_TYPE : JSON_TYPE, ...NO_STORE, ...headers },
  body,
});

export const replyResponse = (reply: Reply): Response =>
  jsonResponse(reply.body, reply.status, reply.replayed ? { 'idempotent-replayed': 'true' } : {});

/** JSON text of an object whose keys keep the given order (JS objects put "123" first). */
export const orderedObjectJson = (entries: [string, unknown][]) =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;

function fieldErrors(issues: readonly z.core.$ZodIssue[], prefix: string[] = []): FieldError[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'unknown field' }));
    return [{ path: path.join('.'), message: issue.message }];
  });
}

/** Validates `value` or throws 400 VALIDATION_FAILED listing every problem. */
export function validate<T extends ZodType>(schema: T, value: unknown, where: string, prefix: string[] = []): z.output<T> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  throw new ApiError('VALIDATION_FAILED', `The ${where} is not valid.`, fieldErrors(result.error.issues, prefix));
}

/** Refuses bytes that are not UTF-8; a BOM is kept, so JSON.parse refuses it too. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8Text(bytes: Buffer): string {
  const notUtf8 = () => new ApiError('VALIDATION_FAILED', 'The body is not valid UTF-8.', [{ path: '', message: 'must be UTF-8 text' }]);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw notUtf8();
  }
  // A gateway that decoded the body itself leaves U+FFFD where bytes were not UTF-8. Taken as
  // text, two different payers would become one name.
  if (text.includes('\uFFFD')) throw notUtf8();
  return text;
}

/**
 * SPEC: a body comes as Content-Type: application/json (parameters such as charset allowed). A
 * body of another type, or a Content-Type other than JSON, is 415: a cross-site form cannot send
 * JSON, so no web page can write to a local ledger. A bodiless POST with no Content-Type (a
 * reversal's optional body) is not refused.
 */
function checkContentType(event: Event, bytes: number): void {
  const type = header(event, 'content-type');
  if (type === undefined ? bytes === 0 : type.split(';')[0]!.trim().toLowerCase() === JSON_TYPE) return;
  throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `A request body must be sent as Content-Type: ${JSON_TYPE}.`);
}

function readJsonBody(event: Event, optional: boolean): unknown {
  const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  checkContentType(event, bytes.length);
  if (bytes.length > MAX_BODY_BYTES) throw new ApiError('PAYLOAD_TOO_LARGE', `The body is ${bytes.length} bytes; at most ${MAX_BODY_BYTES} are accepted.`);
  if (bytes.length === 0 && optional) return {};
  if (bytes.length === 0) throw new ApiError('VALIDATION_FAILED', 'A JSON body is required.', [{ path: '', message: 'required' }]);
  const text = utf8Text(bytes);
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('VALIDATION_FAILED', 'The body is not valid JSON.', [{ path: '', message: 'must be valid JSON' }]);
  }
}

/** Key order must not matter: {"a":1,"b":2} and {"b":2,"a":1} are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface Request<B, Q> {
  event: Event;
  userId: string;
  /** Path parameters besides userId (a spend's or hold's id). */
  params: Record<string, string | undefined>;
  body: B;
  query: Q;
  idempotency?: Idempotency;
}

interface EndpointOptions<BS extends ZodType | undefined, QS extends ZodType | undefined> {
  operation: Route['operation'];
  body?: BS;
  /** An empty body counts as {} (a reversal's body is optional). */
  bodyOptional?: boolean;
  query?: QS;
}

type Out<S> = S extends ZodType ? z.output<S> : undefined;

/** Wraps a route's logic in the shared middy stack: parsing and validation in, problem+json out. */
export function endpoint<BS extends ZodType | undefined = undefined, QS extends ZodType | undefined = undefined>(
  options: EndpointOptions<BS, QS>,
  run: (request: Request<Out<BS>, Out<QS>>) => Promise<Response>,
) {
  const chain = middy<Event, Response>()
    .use(telemetry())
    .use(problemJson())
    .use(failClosed())
    .use(access(options.operation))
    .handler(async (event) => {
      const userId = validate(userIdSchema, actingUser(event), 'path', ['userId']);
      noteUserId(userId);
      let body: unknown;
      let idempotency: Idempotency | undefined;
      const params = { ...event.pathParameters };
      if (options.body) {
        const raw = readJsonBody(event, options.bodyOptional ?? false);
        body = validate(options.body, raw, 'body');
        checkBodyPayer(event, body);
        const key = header(event, 'idempotency-key');
        if (key !== undefined) {
          validate(idempotencyKeySchema, key, 'Idempotency-Key header', ['Idempotency-Key']);
          // The request is the operation, the spend or hold it acts on (if any) and the body as a JSON value.
          const acted = params.spendId ?? params.holdId;
          const target = acted === undefined ? '' : `${acted}\n`;
          const fingerprint = createHash('sha256').update(`${options.operation}\n${target}${canonicalJson(raw)}`).digest('base64url');
          idempotency = { key: callerScopedKey(callerOf(event), key), fingerprint };
        }
      }
      const query = options.query ? validate(options.query, event.queryStringParameters ?? {}, 'query string') : undefined;
      return run({ event, userId, params, body: body as Out<BS>, query: query as Out<QS>, ...(idempotency ? { idempotency } : {}) });
    });
  // SPEC "Bounded and honest under faults": the budget starts with the invocation, so the token
  // check (and any fetch of the issuer's keys) counts against it, and DynamoDB work stops at it.
  return (event: Event, context: Context): Promise<Response> => withDeadline(() => chain(event, context));
}

/**
 * An Idempotency-Key belongs to the caller (jwt mode: the token's sub, else its client_id) as
 * well as the user: two partners using the same order number for one user make two requests,
 * and neither learns of the other's. Off mode has no caller: the key is the client's own.
 */
function callerScopedKey(caller: string | undefined, key: string): string {
  if (caller === undefined) return key;
  return `${createHash('sha256').update(caller).digest('base64url').slice(0, 22)}/${key}`;
}
