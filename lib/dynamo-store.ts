// The Store on one DynamoDB table. Key design (README "Data model"):
//   pk = userId
//   sk = "A"             the account: version, sequence, total, per-payer balances, pending work
//   sk = "T#<seq16>"     ledger records in arrival order; positive adds are also the lots
//   sk = "I#<key>"       idempotency records (TTL attribute expiresAt)
// Two local secondary indexes (strongly consistent, unlike GSIs) hold only open lots:
//   open      sort key o  = "<utc instant>#<seq16>"            all payers, oldest first
//   payerOpen sort key po = "<payer>\u0001<utc instant>#<seq16>" one payer, oldest first
// A lot that reaches 0 loses o and po, so it leaves both indexes and is never read again.
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { backoff } from './backoff.js';
import { seqKey, type Account, type OpenLot, type PayerBalance, type Pending } from './ledger.js';
import type { LedgerItem } from './schemas.js';
import { ConflictError, type Commit, type IdempotencyRecord, type LedgerSlice, type NewRecord, type Store } from './store.js';

export const tableName = () => process.env.TABLE_NAME || 'points';

/** The table as ensureTable creates it locally; serverless.yml declares the same (a test compares). */
export const tableDefinition = (name: string): CreateTableCommandInput => ({
  TableName: name,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'o', AttributeType: 'S' },
    { AttributeName: 'po', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  LocalSecondaryIndexes: [
    {
      IndexName: 'open',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'o', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['payer', 'rem'] },
    },
    {
      IndexName: 'payerOpen',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'po', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['payer', 'rem'] },
    },
  ],
});

const ACCOUNT_SK = 'A';
const recordSk = (seq: number) => `T#${seqKey(seq)}`;
const idempotencySk = (key: string) => `I#${key}`;
const PAYER_SEPARATOR = '\u0001'; // control characters are refused in payers, so this cannot collide
const payerPrefix = (payer: string) => `${payer}${PAYER_SEPARATOR}`;
const seqOfSk = (sk: string) => Number(sk.slice(2));
const nowSeconds = () => Math.floor(Date.now() / 1000);

type AnyRecord = Record<string, unknown>;

/** Creates the table if it is missing (local development and tests). */
export async function ensureTable(db: DynamoDBDocumentClient, name = tableName()): Promise<void> {
  try {
    await db.send(new DescribeTableCommand({ TableName: name }));
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

interface AccountItem {
  ver: number;
  seq: number;
  total: number;
  /** [payer, balance, order key of oldest lot]: a list, because map keys could be "__proto__". */
  bal: [string, number, string][];
  pend?: Pending;
}

const storedBalances = (balances: ReadonlyMap<string, PayerBalance>): AccountItem['bal'] =>
  [...balances].map(([payer, { balance, first }]) => [payer, balance, first]);

function toAccount(item: AccountItem | undefined): Account {
  if (!item) return { version: 0, seq: 0, total: 0, balances: new Map() };
  return {
    version: item.ver,
    seq: item.seq,
    total: item.total,
    balances: new Map(item.bal.map(([payer, balance, first]): [string, PayerBalance] => [payer, { balance, first }])),
    ...(item.pend ? { pending: item.pend } : {}),
  };
}

function toIdempotency(item: AnyRecord | undefined): IdempotencyRecord | undefined {
  if (!item || (item.expiresAt as number) < nowSeconds()) return undefined;
  const { fp, status, body, expiresAt } = item as { fp: string; status: number; body: string; expiresAt: number };
  return { key: (item.sk as string).slice(2), fingerprint: fp, status, body, expiresAt };
}

function idempotencyPut(table: string, userId: string, record: IdempotencyRecord) {
  return {
    TableName: table,
    Item: { pk: userId, sk: idempotencySk(record.key), fp: record.fingerprint, status: record.status, body: record.body, expiresAt: record.expiresAt },
    ConditionExpression: 'attribute_not_exists(sk) OR expiresAt < :now',
    ExpressionAttributeValues: { ':now': nowSeconds() },
  };
}

function isConflict(error: unknown): boolean {
  const name = (error as Error).name;
  if (name === 'ConditionalCheckFailedException' || name === 'TransactionConflictException' || name === 'TransactionInProgressException') return true;
  if (name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict');
}

export class DynamoStore implements Store {
  /** The token each commit sent (as ClientRequestToken, and in its records), for landed(). */
  private readonly tokens = new WeakMap<Commit, string>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table = tableName(),
  ) {}

  async load(userId: string, idempotencyKey?: string) {
    const accountKey = { pk: userId, sk: ACCOUNT_SK };
    if (idempotencyKey === undefined) {
      const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: accountKey, ConsistentRead: true }));
      return { account: toAccount(Item as AccountItem | undefined) };
    }
    // Both items in one request; keys left unprocessed under load are asked for again.
    const found: AnyRecord[] = [];
    let keys: AnyRecord[] = [accountKey, { pk: userId, sk: idempotencySk(idempotencyKey) }];
    while (keys.length > 0) {
      const out = await this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
      found.push(...(out.Responses?.[this.table] ?? []));
      keys = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
    }
    const idempotency = toIdempotency(found.find((item) => item.sk !== ACCOUNT_SK));
    return {
      account: toAccount(found.find((item) => item.sk === ACCOUNT_SK) as AccountItem | undefined),
      ...(idempotency ? { idempotency } : {}),
    };
  }

  async openLots(userId: string, payer: string | undefined, points: number): Promise<OpenLot[]> {
    const lots: OpenLot[] = [];
    let held = 0;
    let startKey: AnyRecord | undefined;
    do {
      // Ask for about as many lots as the points still needed suggest, so a small spend reads
      // few items and a large one few pages.
      const average = lots.length > 0 ? held / lots.length : 0;
      const guess = average > 0 ? Math.ceil((points - held) / average) + 1 : 10;
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: payer === undefined ? 'open' : 'payerOpen',
          // Explicit ranges, same items as `pk = :u` and begins_with: every order key starts with
          // a year's digit, and no payer holds \u0002. DynamoDB Local then seeks straight to the
          // open lots instead of stepping over every closed one (7x faster with 50,000 records).
          KeyConditionExpression: payer === undefined ? 'pk = :u AND o >= :from' : 'pk = :u AND po BETWEEN :from AND :to',
          ExpressionAttributeValues:
            payer === undefined ? { ':u': userId, ':from': '0' } : { ':u': userId, ':from': payerPrefix(payer), ':to': `${payer}\u0002` },
          ConsistentRead: true,
          Limit: Math.min(1000, Math.max(10, guess)),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        const lot = { seq: seqOfSk(item.sk as string), payer: item.payer as string, remaining: item.rem as number };
        lots.push(lot);
        held += lot.remaining;
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey && held < points);
    return lots;
  }

  async commit(commit: Commit): Promise<void> {
    const { userId, expectVersion, account } = commit;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':next': expectVersion + 1 };
    const sets = ['ver = :next'];
    const set = (attribute: string, value: unknown) => {
      sets.push(`#${attribute} = :${attribute}`);
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = value;
    };
    if (account.seq !== undefined) set('seq', account.seq);
    if (account.total !== undefined) set('total', account.total);
    if (account.balances) set('bal', storedBalances(account.balances));
    if (account.pending) set('pend', account.pending);
    if (expectVersion > 0) values[':expect'] = expectVersion;

    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Update: {
          TableName: this.table,
          Key: { pk: userId, sk: ACCOUNT_SK },
          UpdateExpression: `SET ${sets.join(', ')}${account.pending ? '' : ' REMOVE pend'}`,
          ConditionExpression: expectVersion === 0 ? 'attribute_not_exists(pk)' : 'ver = :expect',
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        },
      },
    ];
    const token = randomUUID();
    this.tokens.set(commit, token);
    for (const { seq, item, lotOrderKey: orderKey } of commit.records ?? []) {
      items.push({
        Put: {
          TableName: this.table,
          Item: { pk: userId, sk: recordSk(seq), ...storedRecord(item, orderKey), tok: token },
          ConditionExpression: 'attribute_not_exists(sk)',
        },
      });
    }
    for (const lot of commit.lots ?? []) {
      items.push({
        Update: {
          TableName: this.table,
          Key: { pk: userId, sk: recordSk(lot.seq) },
          UpdateExpression: lot.remaining === 0 ? 'SET rem = :r REMOVE o, po' : 'SET rem = :r',
          // The version check already serialises writers; this guards against a planning bug.
          ConditionExpression: 'attribute_exists(o) AND rem > :r',
          ExpressionAttributeValues: { ':r': lot.remaining },
        },
      });
    }
    if (commit.idempotency) items.push({ Put: idempotencyPut(this.table, userId, commit.idempotency) });
    try {
      // The token makes an SDK-level retry of a commit that did land succeed instead of conflict.
      await this.db.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token }));
    } catch (error) {
      if (isConflict(error)) throw new ConflictError();
      throw error;
    }
  }

  async landed(commit: Commit): Promise<boolean> {
    // A record is put once, by the commit that takes its sequence number, and never overwritten;
    // the token it carries names that commit (ids alone need not differ between two plans).
    const first = commit.records?.[0];
    const token = this.tokens.get(commit);
    if (!first || !token) throw new Error('landed: only a commit with records, sent by this store, can be read back');
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: commit.userId, sk: recordSk(first.seq) }, ConsistentRead: true, ProjectionExpression: 'tok' }),
    );
    return Item?.tok === token;
  }

  async recordRefusal(userId: string, record: IdempotencyRecord): Promise<void> {
    try {
      await this.db.send(new PutCommand(idempotencyPut(this.table, userId, record)));
    } catch (error) {
      if (isConflict(error)) throw new ConflictError();
      throw error;
    }
  }

  /**
   * Bulk load (benchmark and fixtures only; not part of Store, not in serverless.yml's IAM
   * policy): writes a whole ledger for a user who has none. The items are exactly those the
   * service's commits would have left: `account` is the final state (no pending work) and each
   * add in `records` carries its lot's final `remaining`, so closed lots stay out of the
   * open-lot indexes. The account goes first, conditionally, so an existing user is never
   * overwritten; the records follow in BatchWriteItem requests of 25, `concurrency` at a time,
   * with no transaction: readers may see the account before all its records.
   */
  async importLedger(userId: string, account: Account, records: readonly NewRecord[], concurrency = 8): Promise<void> {
    if (account.pending) throw new Error('importLedger: the account must have no pending work');
    const item: AccountItem & AnyRecord = { pk: userId, sk: ACCOUNT_SK, ver: account.version, seq: account.seq, total: account.total, bal: storedBalances(account.balances) };
    await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    const batches: AnyRecord[][] = [];
    for (let i = 0; i < records.length; i += 25) {
      batches.push(records.slice(i, i + 25).map(({ seq, item: record, lotOrderKey: orderKey }) => ({ pk: userId, sk: recordSk(seq), ...storedRecord(record, orderKey) })));
    }
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        let requests = batches[next++]!.map((Item) => ({ PutRequest: { Item } }));
        for (let attempt = 0; requests.length > 0; attempt++) {
          if (attempt > 0) await backoff(attempt, 10, 1000);
          const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
          requests = (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  }

  async ledger(userId: string, afterSeq: number, limit: number): Promise<LedgerSlice> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :u AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':u': userId, ':from': recordSk(afterSeq + 1), ':to': 'T#9999999999999999' },
        ConsistentRead: true,
        Limit: limit + 1, // one more than asked tells whether another page exists
      }),
    );
    const rows = (out.Items ?? []).map((row) => ({ seq: seqOfSk(row.sk as string), item: ledgerItemOf(row) }));
    return { items: rows.slice(0, limit), more: rows.length > limit };
  }
}

function storedRecord(item: LedgerItem, orderKey: string | undefined): AnyRecord {
  if (item.type === 'spend') return { id: item.id, type: 'spend', points: item.points, ts: item.timestamp, breakdown: item.breakdown };
  return {
    id: item.id,
    type: 'add',
    payer: item.payer,
    points: item.points,
    ts: item.timestamp,
    ...(item.remaining !== undefined ? { rem: item.remaining } : {}),
    ...(orderKey !== undefined && item.remaining ? { o: orderKey, po: payerPrefix(item.payer) + orderKey } : {}),
  };
}

function ledgerItemOf(row: AnyRecord): LedgerItem {
  if (row.type === 'spend') {
    return { id: row.id as string, type: 'spend', points: row.points as number, timestamp: row.ts as string, breakdown: row.breakdown as { payer: string; points: number }[] };
  }
  return {
    id: row.id as string,
    type: 'add',
    payer: row.payer as string,
    points: row.points as number,
    timestamp: row.ts as string,
    ...(row.rem !== undefined ? { remaining: row.rem as number } : {}),
  };
}
