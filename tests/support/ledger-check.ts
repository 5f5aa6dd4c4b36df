// Checks shared by the expiry and reversal tests over HTTP: a user's whole observable state
// against SPEC's rules (balances equal the sum of the ledger, the ledger replays through the
// model in the order recorded) and, when the test kept one, against its own model.
import { expect } from 'vitest';
import { FifoModel, comparable, ledgerSums, replayLedger } from './fifo-model.js';
import { balance, ledger } from './http.js';

/** Balance, then ledger: call it when no expiry is about to fall due. */
export async function checkedState(user: string, model?: FifoModel) {
  const shown = await balance(user);
  expect(shown.status, shown.text).toBe(200);
  const items = await ledger(user, 7);
  const ids = items.map((item) => item.id);
  expect(new Set(ids).size, 'ledger ids are unique').toBe(ids.length);
  expect(shown.body, 'balances equal the sum of the ledger').toEqual(ledgerSums(items));
  const replayed = replayLedger(items);
  expect(comparable(items), 'the ledger replays through the model in the order recorded').toEqual(replayed.ledger());
  expect(shown.body).toEqual(replayed.balanceObject());
  if (model) {
    expect(comparable(items), 'the ledger is the test model’s').toEqual(model.ledger());
    expect(shown.body).toEqual(model.balanceObject());
  }
  return { balance: shown.body, items };
}

/** A whole-second UTC timestamp (ISO, "Z", no fraction) for an epoch-ms instant. */
export const utc = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The first whole second at least `ms` from now. */
export const secondsAhead = (ms: number) => Math.ceil((Date.now() + ms) / 1000) * 1000;

/** Waits until the clock reaches `instant` (epoch ms): a bounded wait for a known moment. */
export async function waitUntil(instant: number) {
  const wait = instant - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** A request's answer with the instants it was sent and answered (for real-time expiry). */
export async function timed<T>(request: () => Promise<T>): Promise<{ start: number; end: number; answer: T }> {
  const start = Date.now();
  const answer = await request();
  return { start, end: Date.now(), answer };
}
