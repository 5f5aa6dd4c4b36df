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
// One global secondary index, sparse, finds accounts with work due across the table (the sweep):
//   due       dp = "<due shard>", dx = the account's next-due key (nx)   accounts with an expiry ahead
// The table's stream (NEW_IMAGE) feeds the events pipeline (docs/events.md); its projections live in
// a second table (lib/dynamo/events-table.ts), so their writes never come back through the stream.
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, UpdateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import type { TableDescription } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { eventsTableDefinition, eventsTableName } from './events-table.js';
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
  AttributeDefinitions: ['pk', 'sk', 'o', 'po', 'x', 'dp', 'dx'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  LocalSecondaryIndexes: [lotIndex('open', 'o', ['x']), lotIndex('payerOpen', 'po', ['o', 'x']), lotIndex('expiring', 'x', ['o'])],
  GlobalSecondaryIndexes: [DUE_INDEX],
  StreamSpecification: STREAM,
});

/** Ledger records as committed, for the events pipeline; MODIFYs and REMOVEs carry nothing it reads. */
export const STREAM = { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' as const };

export const DUE_INDEX = {
  IndexName: 'due',
  KeySchema: [
    { AttributeName: 'dp', KeyType: 'HASH' as const },
    { AttributeName: 'dx', KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'KEYS_ONLY' as const },
};

/** Shards of the due index: accounts spread over this many partition keys, so no key runs hot. */
export const DUE_SHARDS = 16;
export const dueShard = (userId: string) => String(createHash('sha256').update(userId).digest().readUInt16BE(0) % DUE_SHARDS);

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

/**
 * Creates the table if it is missing (local development and tests); brings one made before the
 * events pipeline up to date (its stream and the due index can be added in place); refuses one
 * of an older shape still. Also the events table (lib/dynamo/events-table.ts).
 */
export async function ensureTable(db: DynamoDBDocumentClient, name = tableName()): Promise<void> {
  await ensureOne(db, tableDefinition(name), async (table) => {
    const indexes = new Set((table.LocalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const missing = tableDefinition(name).LocalSecondaryIndexes!.filter((index) => !indexes.has(index.IndexName));
    if (missing.length > 0) {
      // Local secondary indexes can only be created with the table.
      throw new Error(`Table ${name} was created by an older version (no index ${missing.map((i) => i.IndexName).join(', ')}); delete it (locally: remove .dynamodb/) or set TABLE_NAME to a new table.`);
    }
    if (!table.StreamSpecification?.StreamEnabled) await db.send(new UpdateTableCommand({ TableName: name, StreamSpecification: STREAM }));
    if (!(table.GlobalSecondaryIndexes ?? []).some((index) => index.IndexName === DUE_INDEX.IndexName)) {
      await db.send(
        new UpdateTableCommand({
          TableName: name,
          AttributeDefinitions: ['dp', 'dx'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
          GlobalSecondaryIndexUpdates: [{ Create: DUE_INDEX }],
        }),
      );
    }
  });
  await ensureOne(db, eventsTableDefinition(eventsTableName(name)), async () => {});
}

async function ensureOne(db: DynamoDBDocumentClient, definition: CreateTableCommandInput, update: (table: TableDescription) => Promise<void>): Promise<void> {
  try {
    const { Table } = await db.send(new DescribeTableCommand({ TableName: definition.TableName }));
    await update(Table!);
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await db.send(new CreateTableCommand(definition));
    } catch (createError) {
      // Another process created it between the two calls.
      if ((createError as Error).name !== 'ResourceInUseException') throw createError;
    }
  }
}
