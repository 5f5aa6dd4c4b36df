// Opaque ledger cursors: the user and the last sequence number, with a checksum so that a
// truncated or edited cursor, or another user's, is refused instead of silently paging
// somewhere else.
//
// Not signed, on purpose: a cursor only ever pages the ledger of the user it names, and the
// request must already be allowed to read that user (AUTH_MODE=jwt: its own ledger, or an
// admin). A client who crafts a cursor gains nothing it could not read anyway, so there is no
// secret to generate, store or rotate (and no built-in default key in a deployed stage).
import { createHash } from 'node:crypto';
import { ApiError } from '../domain/errors.js';

export const checksum = (payload: string) => createHash('sha256').update(payload).digest('base64url').slice(0, 22);

export function encodeCursor(userId: string, afterSeq: number): string {
  const payload = Buffer.from(JSON.stringify([userId, afterSeq])).toString('base64url');
  return `${payload}.${checksum(payload)}`;
}

/** The sequence number to continue after, or a 400 for a cursor this user was not given. */
export function decodeCursor(userId: string, cursor: string): number {
  const invalid = new ApiError('VALIDATION_FAILED', 'cursor is not valid for this ledger', [{ path: 'cursor', message: 'must be a nextCursor returned for this user' }]);
  const [payload, sum, extra] = cursor.split('.');
  if (!payload || sum !== checksum(payload) || extra !== undefined) throw invalid;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    throw invalid;
  }
  const [owner, afterSeq] = Array.isArray(decoded) ? decoded : [];
  if (owner !== userId || !Number.isSafeInteger(afterSeq) || afterSeq < 0) throw invalid;
  return afterSeq as number;
}
