// lib/dynamo/: everything that speaks DynamoDB (client, store, commits, item shapes, table, lease,
// error classification, and the bundle shims). The only folder that imports @aws-sdk/*; it
// implements service/'s Store and may import domain/, service/ and telemetry/.
//
// The Store on one DynamoDB table (keys and indexes: lib/dynamo/table.ts; item shapes: lib/dynamo/items.ts;
// a commit's transaction: lib/dynamo/commit.ts).
import { randomUUID } from 'node:crypto';
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { isConflict } from './errors.js';
import { commitItems } from './commit.js';
import { dueItemOf, ledgerItemOf, openLotOf, placedTakesOf, toAccount, toIdempotency, type AccountItem, type AnyRecord } from './items.js';
import { claimLease, foreignLeaseMs, releaseLease, type LeaseFields } from './lease.js';
import type { Account, OpenLot, PlacedTake } from '../domain/ledger.js';
import type { LedgerItem } from '../domain/schemas/responses.js';
import { type Commit, type IdempotencyRecord } from '../domain/commit.js';
import { ConflictError, MAX_PAGE_BYTES, type DueItem, type LedgerSlice, type Store } from '../service/store.js';
import { ACCOUNT_SK, DUE_INDEX, DUE_SHARDS, LAST_RECORD_SK, chunkPrefix, chunkSk, idempotencySk, payerEnd, payerPrefix, recordSk, seqOfSk, tableName } from './table.js';

export class DynamoStore implements Store {
  /** This store's name as a holder of write leases (lib/dynamo/lease.ts). */
  private readonly owner = randomUUID();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table = tableName(),
  ) {}

  async load(userId: string, idempotencyKeys: readonly string[] = []) {
    const accountKey = { pk: userId, sk: ACCOUNT_SK };
    const idempotency = new Map<string, IdempotencyRecord>();
    if (idempotencyKeys.length === 0) {
      const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: accountKey, ConsistentRead: true }));
      return this.loaded(Item as (AccountItem & LeaseFields) | undefined, idempotency);
    }
    // All items in one request; keys left unprocessed under load are asked for again.
    const found: AnyRecord[] = [];
    let keys: AnyRecord[] = [accountKey, ...[...new Set(idempotencyKeys)].map((key) => ({ pk: userId, sk: idempotencySk(key) }))];
    while (keys.length > 0) {
      const out = await this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
      found.push(...(out.Responses?.[this.table] ?? []));
      keys = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
    }
    for (const item of found) {
      const record = item.sk === ACCOUNT_SK ? undefined : toIdempotency(item);
      if (record) idempotency.set(record.key, record);
    }
    return this.loaded(found.find((item) => item.sk === ACCOUNT_SK) as (AccountItem & LeaseFields) | undefined, idempotency);
  }

  private loaded(item: (AccountItem & LeaseFields) | undefined, idempotency: Map<string, IdempotencyRecord>) {
    return { account: toAccount(item), idempotency, busyForMs: foreignLeaseMs(item, this.owner) };
  }

  async claim(userId: string): Promise<Account | undefined> {
    const item = await claimLease(this.db, this.table, { pk: userId, sk: ACCOUNT_SK }, this.owner);
    return item && toAccount(item as AccountItem);
  }

  release(userId: string): Promise<void> {
    return releaseLease(this.db, this.table, { pk: userId, sk: ACCOUNT_SK }, this.owner);
  }

  async openLots(userId: string, options: { payer?: string; after?: string; points: number; most?: number }): Promise<{ lots: OpenLot[]; done: boolean }> {
    const { payer, after, points, most = Number.POSITIVE_INFINITY } = options;
    const lots: OpenLot[] = [];
    let held = 0;
    let startKey: AnyRecord | undefined;
    do {
      // Ask for about as many lots as the points still needed suggest, so a small spend reads
      // few items and a large one few pages.
      const average = lots.length > 0 ? held / lots.length : 0;
      // A caller that says how many lots it can use (a roll-forward step) gets them in one page.
      const guess = average > 0 ? Math.ceil((points - held) / average) + 1 : Number.isFinite(most) ? most : 10;
      // Explicit ranges, same items as `pk = :u` and begins_with: every order key starts with a
      // year's digit. DynamoDB Local then seeks straight to the open lots instead of stepping
      // over every closed one (7x faster with 50,000 records).
      const range: Pick<QueryCommandInput, 'IndexName' | 'KeyConditionExpression' | 'ExpressionAttributeValues'> =
        payer === undefined
          ? { IndexName: 'open', KeyConditionExpression: `pk = :u AND o ${after === undefined ? '>=' : '>'} :from`, ExpressionAttributeValues: { ':u': userId, ':from': after ?? '0' } }
          : { IndexName: 'payerOpen', KeyConditionExpression: 'pk = :u AND po BETWEEN :from AND :to', ExpressionAttributeValues: { ':u': userId, ':from': payerPrefix(payer), ':to': payerEnd(payer) } };
      const out = await this.db.send(
        new QueryCommand({ TableName: this.table, ...range, ConsistentRead: true, Limit: Math.min(1000, most - lots.length, Math.max(10, guess)), ExclusiveStartKey: startKey }),
      );
      for (const item of out.Items ?? []) {
        const lot = openLotOf(item);
        lots.push(lot);
        held += lot.remaining;
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey && held < points && lots.length < most);
    return { lots, done: startKey === undefined };
  }

  async dueItems(userId: string, limit: number): Promise<DueItem[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'expiring',
        KeyConditionExpression: 'pk = :u AND x >= :from',
        ExpressionAttributeValues: { ':u': userId, ':from': '0' },
        // Pending lots and holds need attributes the index does not project: a local index
        // fetches them from the table (read only when something falls due).
        Select: 'ALL_ATTRIBUTES',
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(dueItemOf);
  }

  async recordAt(userId: string, seq: number): Promise<LedgerItem | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: userId, sk: recordSk(seq) }, ConsistentRead: true }));
    return Item && ledgerItemOf(Item);
  }

  async spendTakes(userId: string, spendSeq: number, from: number, upTo?: number, most = Number.POSITIVE_INFINITY): Promise<PlacedTake[]> {
    // Chunks newest first (from chunk `upTo`), until the one holding position `from`.
    const chunks: PlacedTake[][] = [];
    const query = {
      TableName: this.table,
      KeyConditionExpression: 'pk = :u AND sk BETWEEN :first AND :last',
      ExpressionAttributeValues: { ':u': userId, ':first': chunkSk(spendSeq, 0), ':last': upTo === undefined ? `${chunkPrefix(spendSeq)}~` : chunkSk(spendSeq, upTo) },
      ConsistentRead: true,
      ScanIndexForward: false,
    };
    for await (const item of this.queryItems(query, () => Math.min(4, most - chunks.length))) {
      chunks.push(placedTakesOf(item));
      if ((item.start as number) <= from || chunks.length >= most) break;
    }
    return chunks.reverse().flat();
  }

  async commit(commit: Commit): Promise<void> {
    const items = commitItems(this.table, this.owner, commit);
    try {
      // The token makes an SDK-level retry of a commit that did land succeed instead of conflict.
      await this.db.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: randomUUID() }));
    } catch (error) {
      if (isConflict(error)) throw new ConflictError();
      throw error;
    }
  }

  async recordId(userId: string, seq: number): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: userId, sk: recordSk(seq) }, ConsistentRead: true, ProjectionExpression: 'id' }),
    );
    return Item?.id as string | undefined;
  }

  async ledger(userId: string, afterSeq: number, limit: number): Promise<LedgerSlice> {
    const items: LedgerSlice['items'] = [];
    let bytes = 0;
    const query = {
      TableName: this.table,
      KeyConditionExpression: 'pk = :u AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':u': userId, ':from': recordSk(afterSeq + 1), ':to': LAST_RECORD_SK },
      ConsistentRead: true,
    };
    // One more than fits tells whether another page exists.
    for await (const row of this.queryItems(query, () => limit + 1 - items.length)) {
      const item = ledgerItemOf(row);
      bytes += Buffer.byteLength(JSON.stringify(item)) + 1;
      if (items.length === limit || (items.length > 0 && bytes > MAX_PAGE_BYTES)) return { items, more: true };
      items.push({ seq: seqOfSk(row.sk as string), item });
    }
    return { items, more: false };
  }

  async *dueUsers(nowKey: string): AsyncIterable<string> {
    // O(accounts due): each shard's due keys are read only up to now, never the whole table.
    for (let shard = 0; shard < DUE_SHARDS; shard++) {
      const query = {
        TableName: this.table,
        IndexName: DUE_INDEX.IndexName,
        KeyConditionExpression: 'dp = :shard AND dx <= :now',
        ExpressionAttributeValues: { ':shard': String(shard), ':now': nowKey },
      };
      for await (const item of this.queryItems(query, () => 1000)) yield item.pk as string;
    }
  }

  /**
   * A query's items, page after page: DynamoDB returns at most 1 MB per page, however many were
   * asked for. `limit` gives each page's Limit; a caller that has what it needs stops iterating.
   */
  private async *queryItems(query: Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>, limit: () => number): AsyncGenerator<AnyRecord> {
    let startKey: AnyRecord | undefined;
    do {
      const out = await this.db.send(new QueryCommand({ ...query, Limit: limit(), ExclusiveStartKey: startKey }));
      yield* out.Items ?? [];
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  }
}
