// Ledger records the service writes on its own account: expiry of a lot's points.
import { newId } from './ids.js';
import type { OpenLot } from './ledger.js';
import type { NewRecord } from './commit.js';

/** SPEC "Expiry": `points` of the lot leave its payer's balance, dated the lot's expiresAt. */
export const expireRecord = (seq: number, lot: OpenLot, points: number): NewRecord => ({
  seq,
  item: { id: newId(seq), type: 'expire', payer: lot.payer, points: -points, timestamp: lot.expiresAt!, lot: lot.id },
});
