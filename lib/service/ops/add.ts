// A positive add: a new lot, credited to its payer (SPEC "Lots"), or pending until its
// availableAt (SPEC "Holds and pending points"). Batchable: one record, no reads.
import type { Draft } from '../../domain/batch.js';
import { newId } from '../../domain/ids.js';
import { creditPayer, debitBreakdown, earliest, lotOrderKey, type Account, type OpenLot } from '../../domain/ledger.js';
import { expireRecord } from '../../domain/records.js';
import type { AddBody } from '../../domain/schemas/add.js';
import type { AddItem } from '../../domain/schemas/responses.js';

export function planAdd(account: Account, body: AddBody, nowKey: string): Draft {
  const seq = account.seq + 1;
  const { payer, points, timestamp, expiresAt, availableAt } = body;
  const orderKey = lotOrderKey(timestamp.sortKey, seq);
  // An availableAt already past makes an ordinary add (still echoed).
  const pending = availableAt !== undefined && availableAt.sortKey > nowKey;
  const balances = creditPayer(account, payer, points, orderKey, pending);
  const lot: OpenLot = { seq, id: newId(seq), payer, remaining: points, orderKey, ...(expiresAt ? { expiryKey: expiresAt.sortKey, expiresAt: expiresAt.utc } : {}) };
  const item: AddItem = {
    id: lot.id,
    type: 'add',
    payer,
    points,
    timestamp: timestamp.utc,
    remaining: points,
    ...(expiresAt ? { expiresAt: expiresAt.utc } : {}),
    ...(availableAt ? { availableAt: availableAt.utc } : {}),
  };
  if (pending) {
    // Not in the open-lot indexes (so no plan can take from it) until upkeep makes it available.
    return {
      reply: item,
      account: { ...account, seq, balances, nextExpiry: earliest(account.nextExpiry, availableAt.sortKey) },
      records: [{ seq, item, lot: { orderKey, ...(lot.expiryKey ? { expiryKey: lot.expiryKey } : {}), availableKey: availableAt.sortKey } }],
      items: 1,
    };
  }
  if (expiresAt && expiresAt.sortKey <= nowKey) {
    // SPEC: an add whose expiresAt has passed is recorded and expires at once.
    return {
      reply: { ...item, remaining: 0 },
      account: { ...account, seq: seq + 1, balances: debitBreakdown(balances, [{ payer, points: -points }]) },
      records: [{ seq, item: { ...item, remaining: 0 } }, expireRecord(seq + 1, lot, points)],
      items: 2,
    };
  }
  return {
    reply: item,
    account: { ...account, seq, total: account.total + points, balances, nextExpiry: earliest(account.nextExpiry, lot.expiryKey) },
    records: [{ seq, item, lot: { orderKey, ...(lot.expiryKey ? { expiryKey: lot.expiryKey } : {}) } }],
    lot,
    items: 1,
  };
}
