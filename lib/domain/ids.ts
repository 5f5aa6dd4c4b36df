// Ledger ids: unique strings that also name the record's place in the ledger, so a spend is found
// by its id (for a reversal) with one read, without an index of ids.
import { randomBytes } from 'node:crypto';
import { LEDGER_ID_PATTERN as ID } from './schemas/fields.js';

/** A new id for the record at `seq`; the random part tells apart records planned for the same seq. */
export const newId = (seq: number) => `${seq}-${randomBytes(4).toString('hex')}`;

/** The sequence number an id names, or undefined when it cannot be one of ours. */
export function seqOfId(id: string): number | undefined {
  const match = ID.exec(id);
  return match ? Number(match[1]) : undefined;
}
