// GET /openapi.json
import { endpoint, jsonResponse } from '../lib/http/handler.js';
import { openApiDocument } from '../lib/http/openapi.js';

const document = JSON.stringify(openApiDocument());

export const handler = endpoint({ operation: 'openapi' }, async () => jsonResponse(document));
