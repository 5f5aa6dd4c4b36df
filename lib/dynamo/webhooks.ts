// Webhook subscriptions and the durable delivery schedule, in a table of their own (so the
// ledger table's stream carries only the ledger):
//   pk = "SUB"             sk = <subscription id>   a subscription (all in one partition: one query lists them)
//   pk = "DLV#<sub id>"    sk = <delivery id>       a delivery; ids sort by the event's time
// While a delivery is pending it carries dq (a shard, "0".."3") and da (epoch ms when it is due):
// the sparse index `due` (dq, da) holds exactly the pending deliveries, so the deliverer queries
// what is due now in each shard and never scans. Shards spread the index's writes.
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import type { DeliveryStatus } from '../domain/webhooks/schemas.js';
import type { StoredSecret } from '../domain/webhooks/signing.js';
import type { Delivery, Subscription } from '../domain/webhooks/subscriptions.js';
import type { DueRef, WebhookStore } from '../service/webhooks/store.js';
import { tableName } from './table.js';

export const webhookTableName = () => `${tableName()}-webhooks`;

export const DUE_SHARDS = 4;
const SUB_PK = 'SUB';
const deliveryPk = (subscriptionId: string) => `DLV#${subscriptionId}`;
const shardOf = (id: string) => String(createHash('sha256').update(id).digest()[0]! % DUE_SHARDS);

export const webhookTableDefinition = (name: string): CreateTableCommandInput => ({
  TableName: name,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'dq', AttributeType: 'S' },
    { AttributeName: 'da', AttributeType: 'N' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'due',
      KeySchema: [
        { AttributeName: 'dq', KeyType: 'HASH' },
        { AttributeName: 'da', KeyType: 'RANGE' },
      ],
      // What the deliverer needs to order a sweep: whose event, where in that user's ledger.
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['u', 'q'] },
    },
  ],
});

export async function ensureWebhookTable(db: DynamoDBDocumentClient, name = webhookTableName()): Promise<void> {
  try {
    await db.send(new DescribeTableCommand({ TableName: name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await db.send(new CreateTableCommand(webhookTableDefinition(name)));
    } catch (createError) {
      if ((createError as Error).name !== 'ResourceInUseException') throw createError;
    }
  }
}

type Item = Record<string, any>;

const conditionFailed = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

const subscriptionOf = (item: Item): Subscription => ({
  id: item.id,
  url: item.url,
  types: item.types,
  payer: item.payer ?? null,
  status: item.status,
  createdAt: item.createdAt,
  secrets: item.secrets,
});

const deliveryOf = (item: Item): Delivery => ({
  id: item.id,
  subscriptionId: item.sub,
  eventId: item.eventId,
  body: item.body,
  userId: item.u,
  sequence: item.q,
  status: item.status,
  attempts: item.attempts,
  lastAttemptAt: item.lastAttemptAt ?? null,
  lastStatus: item.lastStatus ?? null,
  dueAt: item.da ?? null,
  final: item.oneShot === true,
});

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) results.push(...(await Promise.all(items.slice(i, i + width).map(work))));
  return results;
}

export class DynamoWebhookStore implements WebhookStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table = webhookTableName(),
  ) {}

  async putSubscription(sub: Subscription): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: SUB_PK, sk: sub.id, ...sub } }));
  }

  async getSubscription(id: string): Promise<Subscription | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: SUB_PK, sk: id }, ConsistentRead: true }));
    return Item ? subscriptionOf(Item) : undefined;
  }

  async listSubscriptions(): Promise<Subscription[]> {
    const subs: Subscription[] = [];
    let start: Item | undefined;
    do {
      const page = await this.db.send(new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': SUB_PK }, ConsistentRead: true, ExclusiveStartKey: start }));
      subs.push(...(page.Items ?? []).map(subscriptionOf));
      start = page.LastEvaluatedKey;
    } while (start);
    return subs;
  }

  async deleteSubscription(id: string): Promise<boolean> {
    const { Attributes } = await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: SUB_PK, sk: id }, ReturnValues: 'ALL_OLD' }));
    return Attributes !== undefined;
  }

  private async updateSubscription(id: string, expression: string, values: Item, names?: Record<string, string>): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.table,
        Key: { pk: SUB_PK, sk: id },
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: values,
        ...(names ? { ExpressionAttributeNames: names } : {}),
      }));
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  setSecrets(id: string, secrets: StoredSecret[]): Promise<boolean> {
    return this.updateSubscription(id, 'SET secrets = :s', { ':s': secrets });
  }

  async disable(id: string): Promise<void> {
    await this.updateSubscription(id, 'SET #s = :d', { ':d': 'disabled' }, { '#s': 'status' });
  }

  async schedule(deliveries: Delivery[]): Promise<Delivery[]> {
    // One (subscription, user) after the other in sequence order, lanes side by side: a sweep
    // never sees a user's later event before an earlier one of the same batch.
    const lanes = new Map<string, Delivery[]>();
    for (const d of [...deliveries].sort((a, b) => a.sequence - b.sequence)) {
      const lane = `${d.subscriptionId}\n${d.userId}`;
      lanes.set(lane, [...(lanes.get(lane) ?? []), d]);
    }
    const written = await inParallel([...lanes.values()], 16, async (lane) => {
      const done: Delivery[] = [];
      for (const d of lane) if (await this.put(d)) done.push(d);
      return done;
    });
    return written.flat();
  }

  /** False when the delivery was scheduled before (the same event seen again). */
  private async put(d: Delivery): Promise<boolean> {
    const item = {
      pk: deliveryPk(d.subscriptionId), sk: d.id, id: d.id, sub: d.subscriptionId, eventId: d.eventId, body: d.body, u: d.userId, q: d.sequence,
      status: d.status, attempts: d.attempts, da: d.dueAt, dq: shardOf(d.id), oneShot: d.final,
    };
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async due(now: number, limit: number): Promise<DueRef[]> {
    const shards = await Promise.all(
      Array.from({ length: DUE_SHARDS }, (_, shard) =>
        this.db.send(new QueryCommand({
          TableName: this.table,
          IndexName: 'due',
          KeyConditionExpression: 'dq = :q AND da <= :now',
          ExpressionAttributeValues: { ':q': String(shard), ':now': now },
          Limit: limit,
        })),
      ),
    );
    return shards
      .flatMap((page) => page.Items ?? [])
      .map((item) => ({ subscriptionId: item.pk.slice(4), id: item.sk, dueAt: item.da, userId: item.u, sequence: item.q }))
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, limit);
  }

  async claim(subscriptionId: string, id: string, now: number, leaseUntil: number, lease: string): Promise<Delivery | undefined> {
    try {
      const { Attributes } = await this.db.send(new UpdateCommand({
        TableName: this.table,
        Key: { pk: deliveryPk(subscriptionId), sk: id },
        ConditionExpression: '#s = :pending AND da <= :now',
        UpdateExpression: 'SET da = :until, lease = :lease',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending', ':now': now, ':until': leaseUntil, ':lease': lease },
        ReturnValues: 'ALL_NEW',
      }));
      return Attributes ? deliveryOf(Attributes) : undefined;
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  }

  async finish(d: Delivery, lease: string): Promise<boolean> {
    const pending = d.status === 'pending';
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.table,
        Key: { pk: deliveryPk(d.subscriptionId), sk: d.id },
        ConditionExpression: 'lease = :lease AND #s = :pending',
        UpdateExpression: pending
          ? 'SET attempts = :a, lastAttemptAt = :at, lastStatus = :ls, da = :da, oneShot = :f REMOVE lease'
          : 'SET attempts = :a, lastAttemptAt = :at, lastStatus = :ls, #s = :s, oneShot = :f REMOVE lease, da, dq',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':lease': lease, ':pending': 'pending', ':a': d.attempts, ':at': d.lastAttemptAt, ':ls': d.lastStatus, ':f': d.final,
          ...(pending ? { ':da': d.dueAt } : { ':s': d.status }),
        },
      }));
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async getDelivery(subscriptionId: string, id: string): Promise<Delivery | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: deliveryPk(subscriptionId), sk: id }, ConsistentRead: true }));
    return Item ? deliveryOf(Item) : undefined;
  }

  async listDeliveries(subscriptionId: string, status: DeliveryStatus | undefined, limit: number, after?: string): Promise<{ items: Delivery[]; next?: string }> {
    const items: Delivery[] = [];
    let start: Item | undefined = after === undefined ? undefined : { pk: deliveryPk(subscriptionId), sk: after };
    // A filtered listing reads past what it skips; a few reads per page at most, then the cursor.
    for (let read = 0; read < 8; read++) {
      const page = await this.db.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': deliveryPk(subscriptionId), ...(status ? { ':s': status } : {}) },
        ...(status ? { FilterExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' } } : {}),
        ExclusiveStartKey: start,
        Limit: limit - items.length,
        ConsistentRead: true,
      }));
      items.push(...(page.Items ?? []).map(deliveryOf));
      start = page.LastEvaluatedKey;
      if (!start || items.length >= limit) break;
    }
    return { items, ...(start ? { next: start.sk as string } : {}) };
  }

  async failPending(subscriptionId: string): Promise<number> {
    let failed = 0;
    let start: string | undefined;
    do {
      const page = await this.listDeliveries(subscriptionId, 'pending', 100, start);
      const done = await inParallel(page.items, 16, async (d) => {
        try {
          await this.db.send(new UpdateCommand({
            TableName: this.table,
            Key: { pk: deliveryPk(subscriptionId), sk: d.id },
            ConditionExpression: '#s = :pending',
            UpdateExpression: 'SET #s = :failed REMOVE lease, da, dq',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':pending': 'pending', ':failed': 'failed' },
          }));
          return 1;
        } catch (error) {
          if (conditionFailed(error)) return 0;
          throw error;
        }
      });
      failed += done.reduce((a: number, b) => a + b, 0);
      start = page.next;
    } while (start);
    return failed;
  }

  async requeue(subscriptionId: string, id: string, now: number): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.table,
        Key: { pk: deliveryPk(subscriptionId), sk: id },
        ConditionExpression: '#s = :failed',
        UpdateExpression: 'SET #s = :pending, da = :now, dq = :q, oneShot = :t',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':failed': 'failed', ':pending': 'pending', ':now': now, ':q': shardOf(id), ':t': true },
      }));
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }
}
