// The real DynamoDB store on the run's DynamoDB Local, for tests below the HTTP layer.
import { inject } from 'vitest';
import { FailpointCrash, createClient } from '../../lib/dynamo/client.js';
import { DynamoStore } from '../../lib/dynamo/store.js';
import { PointsService } from '../../lib/service/service.js';

/** A store; with `failAfterWrites` its client crashes after that many writes (the failpoint). */
export function makeStore(failAfterWrites?: number): DynamoStore {
  const saved = process.env.POINTS_FAILPOINT_AFTER_WRITES;
  if (failAfterWrites === undefined) delete process.env.POINTS_FAILPOINT_AFTER_WRITES;
  else process.env.POINTS_FAILPOINT_AFTER_WRITES = String(failAfterWrites);
  try {
    return new DynamoStore(createClient(inject('dynamoEndpoint')), inject('table'));
  } finally {
    if (saved === undefined) delete process.env.POINTS_FAILPOINT_AFTER_WRITES;
    else process.env.POINTS_FAILPOINT_AFTER_WRITES = saved;
  }
}

/** A service on a fresh store; `now` replaces its clock (epoch ms), to make lots expire without waiting. */
export const makeService = (failAfterWrites?: number, now?: () => number) => new PointsService(makeStore(failAfterWrites), now ? { now } : undefined);

/** Every ledger item of a user, page after page, as `service` lists them. */
export async function ledgerOf(service: PointsService, userId: string) {
  const items = [];
  let after = 0;
  for (;;) {
    const slice = await service.transactions(userId, after, 1000);
    items.push(...slice.items.map((row) => row.item));
    if (!slice.more) return items;
    after = slice.items.at(-1)!.seq;
  }
}

/**
 * Runs `operation` on a service whose client dies after `k` writes (clock `now`, if given); true
 * if it crashed. A crash during roll-forward comes after the operation's answer was committed,
 * so the service still answers; once fired, the failpoint fails every later request, so a probe
 * tells whether it fired.
 */
export async function crashAfter(k: number, operation: (service: PointsService) => Promise<unknown>, now?: () => number): Promise<boolean> {
  const service = makeService(k, now);
  try {
    await operation(service);
    await service.balance(`probe-${process.pid}`);
    return false;
  } catch (error) {
    if (error instanceof FailpointCrash) return true;
    throw error;
  }
}
