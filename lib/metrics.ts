// Per-operation DynamoDB cost for the benchmark. The store's client counts into the cost of the
// operation that issued the request; off (no middleware at all) unless POINTS_METRICS=1.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface DbCost {
  requests: number;
  readRequests: number;
  writeRequests: number;
  itemsRead: number;
  itemsWritten: number;
  commands: Record<string, number>;
}

const current = new AsyncLocalStorage<DbCost>();

export const metricsEnabled = () => process.env.POINTS_METRICS === '1';

export const emptyCost = (): DbCost => ({ requests: 0, readRequests: 0, writeRequests: 0, itemsRead: 0, itemsWritten: 0, commands: {} });

/** Runs `operation` and returns what it cost in DynamoDB requests and items. */
export async function measure<T>(operation: () => Promise<T>): Promise<{ result: T; cost: DbCost }> {
  const cost = emptyCost();
  const result = await current.run(cost, operation);
  return { result, cost };
}

export function countRequest(command: string, write: boolean, itemsRead: number, itemsWritten: number): void {
  const cost = current.getStore();
  if (!cost) return;
  cost.requests += 1;
  if (write) cost.writeRequests += 1;
  else cost.readRequests += 1;
  cost.itemsRead += itemsRead;
  cost.itemsWritten += itemsWritten;
  cost.commands[command] = (cost.commands[command] ?? 0) + 1;
}
