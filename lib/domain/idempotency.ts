// SPEC "Idempotent on request": the first answer to a key is stored with the effect, and a retry
// with the same request gets it again; the same key with another request is refused.
import { ApiError } from './errors.js';
import type { IdempotencyRecord } from './commit.js';

export interface Idempotency {
  key: string;
  fingerprint: string;
}

/** A response body exactly as sent, so that a replay is byte for byte the first answer. */
export interface Reply {
  status: number;
  body: string;
  replayed?: boolean;
}

/** Idempotency records live at least this long (SPEC promises 24 hours). */
const TTL_SECONDS = 48 * 3600;

export function recordOf(idempotency: Idempotency, reply: Reply, nowMs: number): IdempotencyRecord {
  return { ...idempotency, status: reply.status, body: reply.body, expiresAt: Math.floor(nowMs / 1000) + TTL_SECONDS };
}

/** The first answer again, or 422 when the key was first used with another request. */
export function replay(first: { fingerprint: string; status: number; body: string }, request: Idempotency): Reply {
  if (first.fingerprint !== request.fingerprint) {
    // Not the stored key: in jwt mode it carries the caller's scope (lib/http/handler.ts).
    throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was first used with a different request.');
  }
  return { status: first.status, body: first.body, replayed: true };
}
