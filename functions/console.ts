// GET /console (the operator console) and GET /console/{asset}, its files.
import page from 'page:../web/console.html';
import { pageHandler } from '../lib/http/pages/serve.js';

export const handler = pageHandler(page);
