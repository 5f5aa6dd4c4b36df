// Ledger pages larger than one DynamoDB query (which returns at most 1 MB of items): every item is
// still listed once and in order, and a page cut short by its byte budget keeps its cursor.
import { describe, expect, it } from 'vitest';
import { addBodySchema } from '../lib/domain/schemas/add.js';
import { reverseBodySchema } from '../lib/domain/schemas/reverse.js';
import { spendBodySchema } from '../lib/domain/schemas/spend.js';
import { PointsService } from '../lib/service/service.js';
import { MAX_PAGE_BYTES, type LedgerSlice } from '../lib/service/store.js';
import { newUser } from './support/http.js';
import { makeStore } from './support/store.js';

/** 100 payers of 128 characters: a spend of them all, or its reversal, is about 15 KB of JSON. */
const PAYERS = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')}-${'p'.repeat(124)}`);
const ROUNDS = 40;

async function pagesOf(service: PointsService, user: string, limit: number): Promise<LedgerSlice[]> {
  const pages: LedgerSlice[] = [];
  let after = 0;
  for (;;) {
    const page = await service.transactions(user, after, limit);
    pages.push(page);
    if (!page.more) return pages;
    after = page.items.at(-1)!.seq;
  }
}

describe('ledger pages', () => {
  it('lists a ledger of 1.3 MB whole at every limit: short pages only past the byte budget, each with its cursor', async () => {
    const store = makeStore();
    const service = new PointsService(store);
    const user = newUser('pages');
    for (const [i, payer] of PAYERS.entries()) {
      await service.add(user, addBodySchema.parse({ payer, points: 1, timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString() }));
    }
    // Records 1–100 are the adds; then each round a spend of everything and its reversal.
    for (let round = 0; round < ROUNDS; round++) {
      await service.spend(user, spendBodySchema.parse({ points: PAYERS.length }));
      const spendId = await store.recordId(user, PAYERS.length + 1 + 2 * round);
      await service.reverse(user, spendId!, reverseBodySchema.parse({}));
    }
    const total = PAYERS.length + 2 * ROUNDS;

    for (const limit of [1000, 100, 7]) {
      const pages = await pagesOf(service, user, limit);
      const items = pages.flatMap((page) => page.items);
      expect(items.map((row) => row.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(items.filter((row) => row.item.type === 'spend')).toHaveLength(ROUNDS);
      for (const page of pages) {
        expect(page.items.length).toBeGreaterThan(0);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        const bytes = page.items.reduce((sum, row) => sum + Buffer.byteLength(JSON.stringify(row.item)) + 1, 0);
        expect(bytes).toBeLessThanOrEqual(MAX_PAGE_BYTES);
        // Short of the limit only where the next item would not have fitted in the budget.
        if (page.more && page.items.length < limit) expect(bytes).toBeGreaterThan(MAX_PAGE_BYTES - 20_000);
      }
      if (limit >= 100) expect(pages.some((page) => page.more && page.items.length < limit)).toBe(true);
    }
  }, 120_000);
});
