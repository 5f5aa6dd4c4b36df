// The one DynamoDB table and its keys (docs/architecture.md "Data model"):
//   pk = userId
//   sk = "A"                 the account: version, sequence, total, balances, pending work, next expiry
//   sk = "T#<seq16>"         ledger records in arrival order; positive adds are also the lots
//   sk = "K#<seq16>#<n6>"    chunk n of the takes of the spend with that sequence number
//   sk = "I#<key>"           idempotency records (TTL attribute expiresAt)
// Three local secondary indexes (strongly consistent, unlike GSIs) hold only open lots:
//   open      o  = "<utc instant>#<seq16>"              all payers, oldest first
//   payerOpen po = "<payer>\u0001<utc instant>#<seq16>" one payer, oldest first
//   expiring  x  = "<utc expiry>#<seq16>"               lots that expire, earliest first
// A lot that reaches 0 loses o, po and x, so it leaves every index and is never read again.
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { seqKey } from '../domain/ledger.js';

export const tableName = () => process.env.TABLE_NAME || 'points';

const LOT_ATTRIBUTES = ['id', 'payer', 'rem', 'exp'];

const lotIndex = (name: string, sortKey: string, include: string[]) => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' as const },
    { AttributeName: sortKey, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...LOT_ATTRIBUTES, ...include] },
});

/** The table as ensureTable creates it locally; serverless.yml declares the same (a test compares). */
export const tableDefinition = (name: string): CreateTableCommandInput => ({
  TableName: name,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: ['pk', 'sk', 'o', 'po', 'x'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  LocalSecondaryIndexes: [lotIndex('open', 'o', ['x']), lotIndex('payerOpen', 'po', ['o', 'x']), lotIndex('expiring', 'x', ['o'])],
});

export const ACCOUNT_SK = 'A';
export const recordSk = (seq: number) => `T#${seqKey(seq)}`;
export const LAST_RECORD_SK = 'T#9999999999999999';
export const chunkSk = (spendSeq: number, chunk: number) => `K#${seqKey(spendSeq)}#${String(chunk).padStart(6, '0')}`;
export const chunkPrefix = (spendSeq: number) => `K#${seqKey(spendSeq)}#`;
export const idempotencySk = (key: string) => `I#${key}`;
export const seqOfSk = (sk: string) => Number(sk.slice(2, 18));

const PAYER_SEPARATOR = '\u0001'; // control characters are refused in payers, so this cannot collide
export const payerPrefix = (payer: string) => `${payer}${PAYER_SEPARATOR}`;
/** Just past every key of one payer in payerOpen (no payer holds \u0002). */
export const payerEnd = (payer: string) => `${payer}\u0002`;
export const expiryIndexKey = (expiryKey: string, seq: number) => `${expiryKey}#${seqKey(seq)}`;
/** The expiry sort key inside an `x` value (it ends in "#" and 16 digits). */
export const expiryKeyOf = (x: string) => x.slice(0, -17);

/** Creates the table if it is missing (local development and tests); refuses one of an older shape. */
export async function ensureTable(db: DynamoDBDocumentClient, name = tableName()): Promise<void> {
  try {
    const { Table } = await db.send(new DescribeTableCommand({ TableName: name }));
    const indexes = new Set((Table?.LocalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const missing = tableDefinition(name).LocalSecondaryIndexes!.filter((index) => !indexes.has(index.IndexName));
    if (missing.length > 0) {
      // Local secondary indexes can only be created with the table.
      throw new Error(`Table ${name} was created by an older version (no index ${missing.map((i) => i.IndexName).join(', ')}); delete it (locally: remove .dynamodb/) or set TABLE_NAME to a new table.`);
    }
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await db.send(new CreateTableCommand(tableDefinition(name)));
    } catch (createError) {
      // Another process created it between the two calls.
      if ((createError as Error).name !== 'ResourceInUseException') throw createError;
    }
  }
}
