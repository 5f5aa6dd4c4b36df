// Section 1: DynamoDB cost per operation, counted by the store client's metrics middleware
// (lib/telemetry/metrics.ts) around calls to the service itself, in this process.
import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createClient } from '../../lib/dynamo/client.js';
import { DynamoStore } from '../../lib/dynamo/store.js';
import { measure, type DbCost } from '../../lib/telemetry/metrics.js';
import { PointsService } from '../../lib/service/service.js';
import { addBodySchema } from '../../lib/domain/schemas/add.js';
import { spendBodySchema } from '../../lib/domain/schemas/spend.js';
import { holdBodySchema } from '../../lib/domain/schemas/hold.js';
import { countCapacity } from './capacity.js';
import { lotsHistory, type LedgerBuilder } from './history.js';

export interface CostRow {
  operation: string;
  /** Lots the operation touched (spends, negative adds, reversals, holds, captures, releases). */
  lots?: number;
  /** Payers whose balance it changed. */
  payers?: number;
  /** Transactions in the user's ledger before the operation. */
  history: number;
  cost: DbCost;
}

export interface TargetCheck {
  target: string;
  met: boolean;
  detail: string;
}

/**
 * DynamoDB on-demand prices, Standard table class, us-east-1, USD: the public price list as of
 * AWS's 50 % on-demand price cut of 2024-11-01, the latest known when this was written (no
 * network here to re-check; see https://aws.amazon.com/dynamodb/pricing/on-demand/).
 */
export const ON_DEMAND = { region: 'us-east-1', priceDate: '2024-11-01', usdPerMillionReadUnits: 0.125, usdPerMillionWriteUnits: 0.625 };

/** What a million of one operation costs in DynamoDB requests (storage and backups aside). */
export interface MillionCost {
  operation: string;
  readUnits: number;
  writeUnits: number;
  usd: number;
}

export interface CostSection {
  rows: CostRow[];
  checks: TargetCheck[];
  perMillion: MillionCost[];
}

/** The typical add, spend and balance read: on a user with 1,000 past transactions. */
export function perMillion(rows: CostRow[]): MillionCost[] {
  return ['positive add, 1000', '1-point spend, 1000', 'balance, 1000'].flatMap((prefix) => {
    const row = rows.find((r) => r.operation.startsWith(prefix));
    if (!row) return [];
    const { readUnits, writeUnits } = row.cost;
    const usd = readUnits * ON_DEMAND.usdPerMillionReadUnits + writeUnits * ON_DEMAND.usdPerMillionWriteUnits;
    return [{ operation: row.operation, readUnits, writeUnits, usd: Math.round(usd * 1000) / 1000 }];
  });
}

/** The service on a client of its own that also counts capacity units (every client counts its requests). */
export function meteredService(endpoint: string, table: string): { service: PointsService; store: DynamoStore; client: DynamoDBDocumentClient; destroy(): void } {
  const client = createClient(endpoint);
  countCapacity(client);
  const store = new DynamoStore(client, table);
  return { service: new PointsService(store), store, client, destroy: () => client.destroy() };
}

const addBody = (payer: string, points: number, timestamp = '2024-06-01T12:00:00Z') => addBodySchema.parse({ payer, points, timestamp });
const spendBody = (points: number) => spendBodySchema.parse({ points });

/** Lots taken: lots whose `remaining` went down, from the records written (`T#` updates). */
const lotsIn = (cost: DbCost, written: number) => cost.itemsWritten - written;

export interface HistoryUser {
  userId: string;
  size: number;
}

export async function costSection(options: {
  endpoint: string;
  table: string;
  runId: string;
  histories: HistoryUser[];
  log: (line: string) => void;
}): Promise<CostSection> {
  const { service, store, client, destroy } = meteredService(options.endpoint, options.table);
  const user = (label: string) => `bench-${options.runId}-cost-${label}`;
  const rows: CostRow[] = [];
  const row = async (operation: string, history: number, run: () => Promise<unknown>, extra: { lots?: number; payers?: number } = {}) => {
    const { cost } = await measure(run);
    rows.push({ operation, history, ...extra, cost });
    options.log(`  ${operation}: ${cost.requests} requests (${cost.readRequests} read, ${cost.writeRequests} write), ${cost.itemsRead} items read, ${cost.itemsWritten} written, ${cost.readUnits} RCU, ${cost.writeUnits} WCU`);
    return cost;
  };
  const load = async (userId: string, builder: LedgerBuilder) => builder.load(client, options.table, userId, 8);

  try {
    // Positive adds: a new user, and a user with some history.
    await row('positive add (new user)', 0, () => service.add(user('add0'), addBody('DANNON', 300)));
    await load(user('add'), lotsHistory(50, 10, 3));
    await row('positive add', 50, () => service.add(user('add'), addBody('DANNON', 300)));
    await row('positive add with Idempotency-Key', 51, () => service.add(user('add'), addBody('DANNON', 300), { key: 'k-first', fingerprint: 'f-1' }));

    // Spends consuming N lots: lots of 2 points from 3 payers in turn; 2N - 1 points take N lots.
    for (const lots of [1, 10, 100, 1000]) {
      const id = user(`spend${lots}`);
      await load(id, lotsHistory(lots + 5, 2, 3));
      const payers = Math.min(lots, 3);
      const cost = await row(`spend consuming ${lots} lot${lots === 1 ? '' : 's'}`, lots + 5, () => service.spend(id, spendBody(2 * lots - 1)), { lots, payers });
      // Every lot update is one item written besides the account updates and the spend record.
      const accountWrites = cost.commands.TransactWriteItemsCommand ?? 0;
      const taken = lotsIn(cost, accountWrites + 1);
      if (taken !== lots) options.log(`  note: ${taken} lot updates written for ${lots} lots`);
    }

    // Negative adds: 10 lots of DANNON's among other payers' lots.
    {
      const id = user('neg');
      await load(id, lotsHistory(30, 2, 3)); // DANNON holds every third lot: 10 lots, 20 points
      await row('negative add consuming 1 lot', 30, () => service.add(id, addBody('DANNON', -1)), { lots: 1, payers: 1 });
      await row('negative add consuming 9 lots', 31, () => service.add(id, addBody('DANNON', -17)), { lots: 9, payers: 1 });
    }

    // A ledger page (balances are measured on the history users below).
    await row('ledger page (100 items)', options.histories[0]?.size ?? 0, () => service.transactions(options.histories[0]?.userId ?? user('add'), 0, 100));

    // Idempotent replay: the same key and body again.
    {
      const id = user('replay');
      const key = { key: 'replay-1', fingerprint: createHash('sha256').update('add {"payer":"DANNON","points":300}').digest('base64url') };
      await service.add(id, addBody('DANNON', 300), key);
      await row('idempotent replay of an add', 1, () => service.add(id, addBody('DANNON', 300), key));
    }

    // Expiry and reversal (SPEC "Cost"): a clock the bench moves, so nothing waits for real time.
    {
      const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
      const timed = new PointsService(store, { now: () => clock.now });
      const at = (seconds: number) => new Date(clock.now + seconds * 1000).toISOString();
      const expiring = (id: string, lots: number) =>
        Promise.all(Array.from({ length: lots }, (_, i) => timed.add(id, addBodySchema.parse({ payer: ['DANNON', 'UNILEVER'][i % 2]!, points: 2, timestamp: at(-i - 1), expiresAt: at(3600 + i) }))));
      const few = user('expiring100');
      await expiring(few, 100);
      await row('balance, 100 lots all with a future expiresAt', 100, () => timed.balance(few));
      const many = user('expire1000');
      await expiring(many, 1000);
      clock.now += 7200_000;
      const started = performance.now();
      const cost = await row('expiring 1000 lots (found by the next balance read)', 1000, () => timed.balance(many));
      options.log(`  expiring 1000 lots took ${Math.round(performance.now() - started)} ms in ${cost.requests} requests`);
    }
    for (const lots of [1, 100, 1000]) {
      const id = user(`reverse${lots}`);
      await load(id, lotsHistory(lots + 5, 2, 3));
      await service.spend(id, spendBody(2 * lots));
      const spendId = (await service.transactions(id, lots + 5, 1)).items[0]!.item.id;
      await row(`reversal of a spend of ${lots} lot${lots === 1 ? '' : 's'}`, lots + 6, () => service.reverse(id, spendId, {}), { lots, payers: Math.min(lots, 3) });
    }

    // Holds (SPEC "Holds and pending points"): a hold, its partial capture and a release of
    // another hold, of N lots each; then a balance with pending lots and open holds.
    for (const lots of [1, 100, 1000]) {
      const id = user(`hold${lots}`);
      await load(id, lotsHistory(2 * lots + 5, 2, 3));
      const payers = Math.min(lots, 3);
      await row(`hold of ${lots} lot${lots === 1 ? '' : 's'}`, 2 * lots + 5, () => service.hold(id, holdBodySchema.parse({ points: 2 * lots })), { lots, payers });
      const held = (await service.transactions(id, 2 * lots + 5, 1)).items[0]!.item.id;
      await row(`capture of half a hold of ${lots} lot${lots === 1 ? '' : 's'}`, 2 * lots + 6, () => service.capture(id, held, { points: lots }), { lots, payers });
      const other = JSON.parse((await service.hold(id, holdBodySchema.parse({ points: 2 * lots }))).body).id as string;
      await row(`release of a hold of ${lots} lot${lots === 1 ? '' : 's'}`, 2 * lots + 8, () => service.release(id, other), { lots, payers });
      await service.add(id, addBodySchema.parse({ payer: 'LATER', points: 10, timestamp: '2024-06-01T12:00:00Z', availableAt: '2099-01-01T00:00:00Z' }));
      await service.hold(id, holdBodySchema.parse({ points: 1 }));
      if (lots === 1000) await row('balance, with pending lots and open holds', 2 * lots + 11, () => service.balanceDetail(id));
    }

    // The same operations on the history users: their cost must not depend on the history.
    for (const { userId, size } of options.histories) {
      await row(`balance, ${size} past transactions`, size, () => service.balance(userId));
      await row(`positive add, ${size} past transactions`, size, () => service.add(userId, addBody('DANNON', 100, '2030-01-01T00:00:00Z')));
      await row(`1-point spend, ${size} past transactions`, size + 1, () => service.spend(userId, spendBody(1)), { lots: 1, payers: 1 });
    }
  } finally {
    destroy();
  }
  return { rows, checks: checkTargets(rows), perMillion: perMillion(rows) };
}

/**
 * SPEC "Cost" as checks on the figures. "O(lots + payers)" is read as: every consumed lot is
 * read about once and written once, so items read + written stay within 3 × (lots + payers)
 * plus a constant (account reads and writes, the new record, the index page's look-ahead of up
 * to 10 lots), and the requests within a constant plus one per 97 lots (transaction size).
 */
export function checkTargets(rows: CostRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const find = (prefix: string) => rows.filter((r) => r.operation.startsWith(prefix));
  const describe = (r: CostRow) => `${r.operation}: ${r.cost.readRequests} read + ${r.cost.writeRequests} write requests, ${r.cost.itemsRead} items read, ${r.cost.itemsWritten} written`;

  const balances = find('balance');
  checks.push({
    target: 'GET /balance is one read request (O(payers) items, never the history)',
    met: balances.length > 0 && balances.every((r) => r.cost.requests === 1 && r.cost.readRequests === 1 && r.cost.itemsRead === 1),
    detail: balances.map(describe).join('; '),
  });

  const adds = find('positive add');
  checks.push({
    target: 'positive POST /add is at most one read and one write request, whatever the history',
    met: adds.length > 0 && adds.every((r) => r.cost.readRequests <= 1 && r.cost.writeRequests <= 1),
    detail: adds.map(describe).join('; '),
  });

  const consuming = rows.filter((r) => r.lots !== undefined);
  const within = (r: CostRow) => {
    const n = r.lots! + r.payers!;
    const itemsOk = r.cost.itemsRead + r.cost.itemsWritten <= 3 * n + 16;
    const requestsOk = r.cost.requests <= 4 + 2 * Math.ceil(r.lots! / 97);
    return itemsOk && requestsOk;
  };
  checks.push({
    target: 'POST /spend, a negative add, a hold, capture or release cost O(lots touched + payers)',
    met: consuming.length > 0 && consuming.every(within),
    detail: consuming
      .map((r) => `${r.operation}: ${r.cost.requests} requests, ${r.cost.itemsRead + r.cost.itemsWritten} items for ${r.lots} lots + ${r.payers} payers${within(r) ? '' : ' (over)'}`)
      .join('; '),
  });

  const historySpends = find('1-point spend,');
  const key = (r: CostRow) => `${r.cost.requests}/${r.cost.readRequests}/${r.cost.writeRequests}/${r.cost.itemsRead}/${r.cost.itemsWritten}`;
  checks.push({
    target: 'a spend’s cost does not grow with the number of past transactions',
    met: historySpends.length > 1 && new Set(historySpends.map(key)).size === 1,
    detail: historySpends.map((r) => `${r.history}: ${r.cost.requests} requests, ${r.cost.itemsRead} items read, ${r.cost.itemsWritten} written`).join('; '),
  });
  return checks;
}
