// Calls to the API on this page's own origin (and path prefix), as the chosen user, with the
// token when there is one. Every failure comes back as a Problem, never as an exception.
import type { Problem } from './types.js';

export type Answer<T> = { ok: true; body: T } | { ok: false; problem: Problem };

const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const USER_ID_RULE = 'must be 1-64 characters of A-Z a-z 0-9 _ -';
export const validUserId = (user: string) => user === '' || USER_ID.test(user);

export interface Caller {
  /** Empty: the bare routes. */
  user: string;
  token: string;
}

/** `/balance` or `/users/{user}/balance` for the caller's user, relative to this page's base. */
const url = (caller: Caller, route: string) => new URL(`${caller.user ? `users/${encodeURIComponent(caller.user)}/` : ''}${route}`, new URL('.', location.href));

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as Problem).detail === 'string' && typeof (body as Problem).status === 'number';
}

export async function call<T>(caller: Caller, method: 'GET' | 'POST', route: string, options: { body?: unknown; idempotencyKey?: string } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (caller.token) headers.authorization = `Bearer ${caller.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(url(caller, route), { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  } catch (error) {
    return { ok: false, problem: { status: 0, detail: `The service did not answer (${(error as Error).message}). Try again.` } };
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (response.ok) return { ok: true, body: body as T };
  return { ok: false, problem: isProblem(body) ? body : { status: response.status, detail: `The service answered ${response.status} ${response.statusText}.` } };
}

/** A fresh Idempotency-Key (crypto.getRandomValues works on plain http too, unlike randomUUID). */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
