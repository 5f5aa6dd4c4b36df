// GET /openapi.json
import { endpoint, jsonResponse } from '../lib/http.js';
import { openApiDocument } from '../lib/openapi.js';

const document = JSON.stringify(openApiDocument());

export const handler = endpoint({ operation: 'openapi' }, async () => jsonResponse(document));
