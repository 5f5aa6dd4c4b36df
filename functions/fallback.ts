// Every request no route matched: 405 when the path exists under another method, else 404.
import middy from '@middy/core';
import { ApiError } from '../lib/domain/errors.js';
import { failClosed, problemJson, type Event, type Response } from '../lib/http/problem.js';
import { allowedMethods } from '../lib/http/routes.js';
import { telemetry } from '../lib/telemetry/telemetry.js';

export const handler = middy<Event, Response>()
  .use(telemetry())
  .use(problemJson())
  .use(failClosed())
  .handler(async (event) => {
    const path = event.rawPath;
    const allowed = allowedMethods(path);
    if (allowed.length === 0) throw new ApiError('NOT_FOUND', `No route ${path}.`);
    const method = event.requestContext.http.method;
    throw new ApiError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allowed.join(', ')}.`, undefined, { allow: allowed.join(', ') });
  });
