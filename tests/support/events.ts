// Reading a payer's feed and statement over HTTP, and waiting for the stream consumer to catch up.
import { expect } from 'vitest';
import { apiUrl, client } from './http.js';

let counter = 0;
/** A payer no other test uses. */
export const newPayer = (label = 'P') => `${label}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export interface FeedPage {
  items: any[];
  nextCursor: string;
  hasMore: boolean;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The events routes of one API (by default the run's). */
export function eventsClient(api: ReturnType<typeof client> = client(apiUrl)) {
  const { call } = api;
  /** One page; fails the test on anything but 200. */
  async function feedPage(payer: string, cursor?: string, limit?: number, headers?: Record<string, string>): Promise<FeedPage> {
    const query = new URLSearchParams({ payer, ...(limit ? { limit: String(limit) } : {}), ...(cursor ? { cursor } : {}) });
    const answer = await call<FeedPage>('GET', `/events?${query}`, undefined, headers);
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  }

  /** Every event readable now after `cursor`, page by page; and the cursor to go on from. */
  async function readFeed(payer: string, cursor?: string, limit = 1000): Promise<{ items: any[]; cursor: string }> {
    const items: any[] = [];
    for (;;) {
      const page = await feedPage(payer, cursor, limit);
      items.push(...page.items);
      cursor = page.nextCursor;
      if (!page.hasMore) return { items, cursor };
    }
  }


  /** Polls until `done` holds of the events read so far (the consumer projects within seconds). */
  async function feedUntil(payer: string, done: (items: any[]) => boolean, timeoutMs = 60_000): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | undefined;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const read = await readFeed(payer, cursor);
      items.push(...read.items);
      cursor = read.cursor;
      if (done(items)) return items;
      if (Date.now() > deadline) return items;
      await sleep(200);
    }
  }

  async function statement(payer: string, from: string, to: string, headers?: Record<string, string>) {
    const answer = await call('GET', `/statements?${new URLSearchParams({ payer, from, to })}`, undefined, headers);
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  }
  return { feedPage, readFeed, feedUntil, statement };
}

export const { feedPage, readFeed, feedUntil, statement } = eventsClient();
