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

/** A cursor continuing after `after` (a sequence number, or a key) in the listing `owner` names. */
export function encodeCursor(owner: string, after: number | string): string {
  const payload = Buffer.from(JSON.stringify([owner, after])).toString('base64url');
  return `${payload}.${checksum(payload)}`;
}

/** What the cursor continues after, if it was given for this owner's listing; else a 400. */
function decodeAfter(owner: string, cursor: string, valid: (after: unknown) => boolean, expected: string): unknown {
  const invalid = new ApiError('VALIDATION_FAILED', `cursor is not valid for this ${expected}`, [{ path: 'cursor', message: `must be a nextCursor returned for this ${expected}` }]);
  const [payload, sum, extra] = cursor.split('.');
  if (!payload || sum !== checksum(payload) || extra !== undefined) throw invalid;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    throw invalid;
  }
  const [decodedOwner, after] = Array.isArray(decoded) ? decoded : [];
  if (decodedOwner !== owner || !valid(after)) throw invalid;
  return after;
}

/** The sequence number to continue after, or a 400 for a cursor this user was not given. */
export const decodeCursor = (userId: string, cursor: string): number =>
  decodeAfter(userId, cursor, (after) => Number.isSafeInteger(after) && (after as number) >= 0, 'ledger') as number;

/** The key to continue after in a listing keyed by strings (a webhook's deliveries). */
export const decodeKeyCursor = (owner: string, cursor: string): string =>
  decodeAfter(owner, cursor, (after) => typeof after === 'string' && after.length > 0, 'listing') as string;
