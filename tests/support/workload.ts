// A random workload over HTTP for the events tests: many users and payers, adds, negative adds,
// spends of many lots, reversals, expiries, keyed retries, concurrent writers.
import { random } from '../../scripts/bench/history.js';
import { client } from './http.js';
import { sleep } from './events.js';

/** Runs `count` random operations on `users`, `parallel` at a time; returns when all are answered. */
export async function randomWorkload(api: ReturnType<typeof client>, seed: number, users: string[], payers: string[], count: number, parallel = 8): Promise<void> {
  const { add, addExpiring, ledger, reverse, spend } = api;
  const rand = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const spends = new Map<string, string[]>();
  let next = 0;
  const one = async (i: number) => {
    const user = pick(users);
    const payer = pick(payers);
    const timestamp = new Date(Date.UTC(2024, 0, 1) + Math.floor(rand() * 1e9)).toISOString();
    const roll = rand();
    const key = rand() < 0.2 ? { 'idempotency-key': `k-${seed}-${i}` } : undefined;
    const send = async (request: () => Promise<{ status: number; body: any }>) => {
      const answer = await request();
      // A keyed request sent again: the first answer again, never a second event.
      if (key) await request();
      return answer;
    };
    if (roll < 0.4) await send(() => add(user, payer, 1 + Math.floor(rand() * 500), timestamp, key));
    else if (roll < 0.5) await send(() => addExpiring(user, payer, 1 + Math.floor(rand() * 300), timestamp, new Date(Date.now() + 1500 + rand() * 2000).toISOString(), key));
    else if (roll < 0.6) await send(() => add(user, payer, -1 - Math.floor(rand() * 100), timestamp, key));
    else if (roll < 0.85) {
      const answer = await send(() => spend(user, 1 + Math.floor(rand() * 900), key));
      if (answer.status === 200) {
        const items = await ledger(user);
        const last = items.filter((item) => item.type === 'spend').at(-1);
        if (last) spends.set(user, [...(spends.get(user) ?? []), last.id]);
      }
    } else {
      const spendId = spends.get(user)?.length ? pick(spends.get(user)!) : undefined;
      if (spendId) await send(() => reverse(user, spendId, rand() < 0.5 ? undefined : { points: 1 + Math.floor(rand() * 50) }, key));
    }
  };
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

/** The users' ledgers and balances, once every expiry due has been recorded. */
export async function settle(api: ReturnType<typeof client>, users: string[]) {
  const { balance, ledger } = api;
  await sleep(4000); // the last expiring lot is past its expiresAt
  const balances = new Map<string, Record<string, number>>();
  const ledgers = new Map<string, any[]>();
  for (const user of users) {
    balances.set(user, (await balance(user)).body);
    ledgers.set(user, await ledger(user));
  }
  return { balances, ledgers };
}
