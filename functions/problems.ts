// GET /problems/{code}: what an error code means (the `type` of every problem+json answer).
import { problemPageHandler } from '../lib/http/pages/problem-page.js';

export const handler = problemPageHandler;
