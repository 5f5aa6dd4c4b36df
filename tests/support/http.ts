// A small client for the API under test: by default the run's API (global setup), or any
// other base URL through client().
import { inject } from 'vitest';

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export function client(baseUrl: () => string) {
  async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed as T };
  }

  const add = (user: string, payer: string, points: number, timestamp: string, headers?: Record<string, string>) =>
    call('POST', `/users/${user}/add`, { payer, points, timestamp }, headers);
  const spend = (user: string, points: number, headers?: Record<string, string>) => call('POST', `/users/${user}/spend`, { points }, headers);
  const balance = (user: string) => call<Record<string, number>>('GET', `/users/${user}/balance`);
  const addExpiring = (user: string, payer: string, points: number, timestamp: string, expiresAt: string, headers?: Record<string, string>) =>
    call('POST', `/users/${user}/add`, { payer, points, timestamp, expiresAt }, headers);
  /** POST …/spends/{spendId}/reverse; no `body` sends none. */
  const reverse = (user: string, spendId: string, body?: unknown, headers?: Record<string, string>) =>
    call('POST', `/users/${user}/spends/${encodeURIComponent(spendId)}/reverse`, body, headers);

  /** Every ledger item of a user, following cursors. */
  async function ledger(user: string, limit = 1000): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      let page: Answer<{ items: any[]; nextCursor: string | null }> = await call('GET', `/users/${user}/transactions?${query}`);
      // A read that first finishes a very large operation may need more than one request's time
      // budget on a loaded machine: a client honours Retry-After and asks again (docs/api.md "Failure behaviour").
      for (let retry = 0; page.status === 503 && page.text.includes('"SERVICE_UNAVAILABLE"') && retry < 5; retry++) {
        await new Promise((resolve) => setTimeout(resolve, Number(page.headers.get('retry-after') ?? 1) * 1000));
        page = await call('GET', `/users/${user}/transactions?${query}`);
      }
      if (page.status !== 200) throw new Error(`ledger page failed: ${page.status} ${page.text}`);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  }

  return { call, add, addExpiring, spend, reverse, balance, ledger };
}

export const apiUrl = () => inject('apiUrl');
export const { call, add, addExpiring, spend, reverse, balance, ledger } = client(apiUrl);

let counter = 0;
/** A user id no other test uses. */
export const newUser = (label = 'u') => `${label}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
