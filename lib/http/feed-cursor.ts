// Cursors of a payer's feed: the position read up to in each of its shards (lib/domain/feed.ts),
// with a checksum over the payer too, so a cursor of another payer, truncated or edited, is
// refused (400) instead of paging somewhere else. Not signed, as ledger cursors (lib/http/cursor.ts):
// it only pages a feed the caller may already read.
import { ApiError } from '../domain/errors.js';
import { FEED_SHARDS } from '../domain/feed.js';
import { checksum } from './cursor.js';

export function encodeFeedCursor(payer: string, positions: readonly number[]): string {
  const payload = Buffer.from(JSON.stringify(positions)).toString('base64url');
  return `${payload}.${checksum(`${payer}\u0001${payload}`)}`;
}

/** The positions to continue after, or a 400 for a cursor this payer was not given. */
export function decodeFeedCursor(payer: string, cursor: string): number[] {
  const invalid = new ApiError('VALIDATION_FAILED', 'cursor is not valid for this payer', [{ path: 'cursor', message: 'must be a nextCursor returned for this payer' }]);
  const [payload, sum, extra] = cursor.split('.');
  if (!payload || sum !== checksum(`${payer}\u0001${payload}`) || extra !== undefined) throw invalid;
  let positions: unknown;
  try {
    positions = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    throw invalid;
  }
  if (!Array.isArray(positions) || positions.length !== FEED_SHARDS || !positions.every((p) => Number.isSafeInteger(p) && p >= 0)) throw invalid;
  return positions as number[];
}
