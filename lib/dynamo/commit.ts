// The one transaction of a commit (lib/service/store.ts Commit): the account moves to the next version,
// if it is still at the expected one and no other holder's write lease runs (lib/dynamo/lease.ts), and
// every record, lot, chunk and idempotency record of the commit lands with it, or none does.
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { nowSeconds, storedBalances, storedChunk, storedRecord } from './items.js';
import { leaseValues, noForeignLease } from './lease.js';
import type { Commit, IdempotencyRecord, LotUpdate } from '../domain/commit.js';
import { ACCOUNT_SK, chunkSk, dueShard, expiryIndexKey, idempotencySk, payerPrefix, recordSk } from './table.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The items of `commit`'s transaction on `table`, written by the lease holder `owner`. */
export function commitItems(table: string, owner: string, commit: Commit): TransactItem[] {
  const { userId, expectVersion, account } = commit;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':next': expectVersion + 1 };
  const sets = ['ver = :next'];
  const removes: string[] = [];
  const set = (attribute: string, value: unknown) => {
    sets.push(`#${attribute} = :${attribute}`);
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = value;
  };
  if (account.seq !== undefined) set('seq', account.seq);
  if (account.total !== undefined) set('total', account.total);
  if (account.balances) set('bal', storedBalances(account.balances));
  if (account.pending) set('pend', account.pending);
  else removes.push('pend');
  // The due index (lib/dynamo/table.ts) holds the account while something falls due.
  if (typeof account.nextExpiry === 'string') {
    set('nx', account.nextExpiry);
    set('dp', dueShard(userId));
    set('dx', account.nextExpiry);
  } else if (account.nextExpiry === null) removes.push('nx', 'dp', 'dx');
  // A commit also ends its owner's lease, and may not land while another holder's runs.
  if (expectVersion > 0) {
    Object.assign(values, { ':expect': expectVersion, ...leaseValues(owner) });
    removes.push('lo', 'lu');
  }

  const items: TransactItem[] = [
    {
      Update: {
        TableName: table,
        Key: { pk: userId, sk: ACCOUNT_SK },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: expectVersion === 0 ? 'attribute_not_exists(pk)' : `ver = :expect AND ${noForeignLease}`,
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
      },
    },
  ];
  for (const record of commit.records ?? []) {
    // `at`: when it was recorded (SPEC event createdAt), read back from the table's stream.
    items.push({ Put: { TableName: table, Item: { pk: userId, sk: recordSk(record.seq), ...storedRecord(record), at: commit.at }, ConditionExpression: 'attribute_not_exists(sk)' } });
  }
  for (const lot of commit.lots ?? []) items.push({ Update: { TableName: table, Key: { pk: userId, sk: recordSk(lot.seq) }, ...lotUpdate(lot) } });
  for (const chunk of commit.chunks ?? []) {
    items.push({ Put: { TableName: table, Item: { pk: userId, sk: chunkSk(chunk.spendSeq, chunk.chunk), ...storedChunk(chunk) } } });
  }
  if (commit.reversed) {
    items.push({
      Update: {
        TableName: table,
        Key: { pk: userId, sk: recordSk(commit.reversed.seq) },
        UpdateExpression: 'SET rev = :rev',
        ConditionExpression: 'attribute_exists(sk)',
        ExpressionAttributeValues: { ':rev': commit.reversed.points },
      },
    });
  }
  if (commit.hold) {
    items.push({
      Update: {
        TableName: table,
        Key: { pk: userId, sk: recordSk(commit.hold.seq) },
        // Only a hold still held changes status (the version check already serialises writers).
        UpdateExpression: 'SET #st = :st, cap = :cap REMOVE x',
        ConditionExpression: '#st = :held',
        ExpressionAttributeNames: { '#st': 'st' },
        ExpressionAttributeValues: { ':st': commit.hold.status, ':cap': commit.hold.captured, ':held': 'held' },
      },
    });
  }
  for (const record of commit.idempotency ?? []) items.push({ Put: idempotencyPut(table, userId, record) });
  return items;
}

function idempotencyPut(table: string, userId: string, record: IdempotencyRecord) {
  return {
    TableName: table,
    Item: { pk: userId, sk: idempotencySk(record.key), fp: record.fingerprint, status: record.status, body: record.body, expiresAt: record.expiresAt },
    ConditionExpression: 'attribute_not_exists(sk) OR expiresAt < :now',
    ExpressionAttributeValues: { ':now': nowSeconds() },
  };
}

function lotUpdate(update: LotUpdate) {
  if ('opens' in update) {
    // A pending lot becomes available: its index keys are those of an open lot from now on.
    const { opens: lot } = update;
    const expiring = lot.expiryKey !== undefined;
    return {
      UpdateExpression: `SET o = :o, po = :po${expiring ? ', x = :x' : ' REMOVE x'}`,
      ConditionExpression: 'attribute_exists(x) AND attribute_not_exists(o)',
      ExpressionAttributeValues: {
        ':o': lot.orderKey,
        ':po': payerPrefix(lot.payer) + lot.orderKey,
        ...(expiring ? { ':x': expiryIndexKey(lot.expiryKey!, lot.seq) } : {}),
      },
    };
  }
  if ('giveBack' in update) {
    // A reversal: the lot holds points again, so it is back in the indexes (with its own keys).
    const { lot, giveBack } = update;
    const expiring = lot.expiryKey !== undefined;
    return {
      UpdateExpression: `SET rem = rem + :k, o = :o, po = :po${expiring ? ', x = :x' : ''}`,
      ConditionExpression: 'attribute_exists(sk)',
      ExpressionAttributeValues: {
        ':k': giveBack,
        ':o': lot.orderKey,
        ':po': payerPrefix(lot.payer) + lot.orderKey,
        ...(expiring ? { ':x': expiryIndexKey(lot.expiryKey!, lot.seq) } : {}),
      },
    };
  }
  return {
    UpdateExpression: update.remaining === 0 ? 'SET rem = :r REMOVE o, po, x' : 'SET rem = :r',
    // The version check already serialises writers; this guards against a planning bug.
    ConditionExpression: 'attribute_exists(o) AND rem > :r',
    ExpressionAttributeValues: { ':r': update.remaining },
  };
}
