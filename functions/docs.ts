// GET /docs (the API reference: Swagger UI over /openapi.json) and GET /docs/{asset}, its files.
import page from 'page:../web/docs.html';
import { pageHandler } from '../lib/http/pages/serve.js';

export const handler = pageHandler(page);
