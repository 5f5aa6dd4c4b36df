// Per-operation DynamoDB cost: the store's client counts every request into the cost of the
// operation that issued it (a few additions per request, so always on). The benchmark measures
// service calls with it; each API request's log line reports its count (lib/telemetry/telemetry.ts).
import { AsyncLocalStorage } from 'node:async_hooks';

export interface DbCost {
  requests: number;
  readRequests: number;
  writeRequests: number;
  itemsRead: number;
  itemsWritten: number;
  commands: Record<string, number>;
  /** Capacity units by DynamoDB's rules; counted only by the benchmark's client (scripts/bench/capacity.ts). */
  readUnits: number;
  writeUnits: number;
}

const current = new AsyncLocalStorage<DbCost>();

export const emptyCost = (): DbCost => ({ requests: 0, readRequests: 0, writeRequests: 0, itemsRead: 0, itemsWritten: 0, commands: {}, readUnits: 0, writeUnits: 0 });

/** Runs `operation` and returns what it cost in DynamoDB requests and items. */
export async function measure<T>(operation: () => Promise<T>): Promise<{ result: T; cost: DbCost }> {
  const cost = emptyCost();
  const result = await current.run(cost, operation);
  return { result, cost };
}

/** Counts from here to the end of the current invocation (a middy before hook: no callback to wrap). */
export function beginMeasure(): DbCost {
  const cost = emptyCost();
  current.enterWith(cost);
  return cost;
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

export function countUnits(read: number, write: number): void {
  const cost = current.getStore();
  if (!cost) return;
  cost.readUnits += read;
  cost.writeUnits += write;
}
