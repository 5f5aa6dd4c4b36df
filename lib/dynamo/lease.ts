// A user's write lease (docs/architecture.md "Concurrency"). An instance that keeps losing the account version
// race for a user claims the account for a moment, so that its turn comes: other instances then
// wait instead of sending transactions that would lose. It lives in the account item (`lo`: the
// holder, `lu`: until when, epoch ms), ends with the holder's next commit, and expires by itself
// if the holder is gone. Leases use the real clock: they are about instants, not ledger time.
import { UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandOutput } from '@aws-sdk/lib-dynamodb';
import { isConflict } from './errors.js';

/** Long enough for a round (a read and a transaction), short enough to wait out if the holder died. */
export const LEASE_MS = 500;

export interface LeaseFields {
  lo?: string;
  lu?: number;
}

/** Condition on the account item: no other holder's lease is running. */
export const noForeignLease = '(attribute_not_exists(lo) OR lo = :owner OR lu < :now)';
export const leaseValues = (owner: string) => ({ ':owner': owner, ':now': Date.now() });

/** How long another holder's lease still runs, in ms (0: none). */
export function foreignLeaseMs(item: LeaseFields | undefined, owner: string): number {
  if (!item?.lo || item.lo === owner || item.lu === undefined) return 0;
  return Math.max(0, item.lu - Date.now());
}

/**
 * Claims the account's lease for `owner` and returns the account item as the claim left it (the
 * update's own result: as current as a strongly consistent read); undefined if another holder's
 * lease is running, the account is mid-transaction, or there is none yet.
 */
export async function claimLease(db: DynamoDBDocumentClient, table: string, key: Record<string, string>, owner: string): Promise<UpdateCommandOutput['Attributes']> {
  try {
    const { Attributes } = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET lo = :owner, lu = :until',
        ConditionExpression: `attribute_exists(pk) AND ${noForeignLease}`,
        ExpressionAttributeValues: { ...leaseValues(owner), ':until': Date.now() + LEASE_MS },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes;
  } catch (error) {
    if (isConflict(error)) return undefined;
    throw error;
  }
}

/** Ends `owner`'s lease if it still holds it. */
export async function releaseLease(db: DynamoDBDocumentClient, table: string, key: Record<string, string>, owner: string): Promise<void> {
  try {
    await db.send(new UpdateCommand({ TableName: table, Key: key, UpdateExpression: 'REMOVE lo, lu', ConditionExpression: 'lo = :owner', ExpressionAttributeValues: { ':owner': owner } }));
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}
