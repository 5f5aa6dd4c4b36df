// Opaque ledger cursors: the user and the last sequence number, signed so that a tampered or
// another user's cursor is refused instead of silently paging somewhere else.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';

// Forging a cursor would only move a user within their own ledger; the signature is there to
// tell clients that a cursor is not theirs to edit. Override CURSOR_SECRET in deployments.
const secret = () => process.env.CURSOR_SECRET || 'points-local-cursor-secret';
const sign = (payload: string) => createHmac('sha256', secret()).update(payload).digest('base64url').slice(0, 22);

export function encodeCursor(userId: string, afterSeq: number): string {
  const payload = Buffer.from(JSON.stringify([userId, afterSeq])).toString('base64url');
  return `${payload}.${sign(payload)}`;
}

/** The sequence number to continue after, or a 400 for a cursor this user was not given. */
export function decodeCursor(userId: string, cursor: string): number {
  const invalid = new ApiError('VALIDATION_FAILED', 'cursor is not valid for this ledger', [{ path: 'cursor', message: 'must be a nextCursor returned for this user' }]);
  const [payload, signature, extra] = cursor.split('.');
  if (!payload || !signature || extra !== undefined) throw invalid;
  const expected = Buffer.from(sign(payload));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
  const [owner, afterSeq] = JSON.parse(Buffer.from(payload, 'base64url').toString()) as [string, number];
  if (owner !== userId || !Number.isSafeInteger(afterSeq) || afterSeq < 0) throw invalid;
  return afterSeq;
}
