// Bulk load for the benchmark (not part of the Store, not in any Lambda bundle, not in
// serverless.yml's IAM policy): writes a whole ledger for a user who has none. The items are
// exactly those the service's commits would have left: `account` is the final state (no pending
// work) and each add in `records` carries its lot's final `remaining`, so closed lots stay out of
// the open-lot indexes. The account goes first, conditionally, so an existing user is never
// overwritten; the records follow in BatchWriteItem requests of 25, `concurrency` at a time, with
// no transaction: readers may see the account before all its records.
import { BatchWriteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backoff } from '../../lib/service/backoff.js';
import { storedBalances, storedRecord, type AccountItem, type AnyRecord } from '../../lib/dynamo/items.js';
import type { Account } from '../../lib/domain/ledger.js';
import type { NewRecord } from '../../lib/domain/commit.js';
import { ACCOUNT_SK, recordSk } from '../../lib/dynamo/table.js';

export async function importLedger(db: DynamoDBDocumentClient, table: string, userId: string, account: Account, records: readonly NewRecord[], concurrency = 8): Promise<void> {
  if (account.pending) throw new Error('importLedger: the account must have no pending work');
  const item: AccountItem & AnyRecord = { pk: userId, sk: ACCOUNT_SK, ver: account.version, seq: account.seq, total: account.total, bal: storedBalances(account.balances) };
  await db.send(new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  const batches: AnyRecord[][] = [];
  for (let i = 0; i < records.length; i += 25) {
    batches.push(records.slice(i, i + 25).map((record) => ({ pk: userId, sk: recordSk(record.seq), ...storedRecord(record) })));
  }
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let requests = batches[next++]!.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await backoff(attempt, 10, 1000);
        const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
        requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
