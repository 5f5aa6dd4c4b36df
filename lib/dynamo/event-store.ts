// The EventStore (lib/service/events.ts) on the events table (keys: lib/dynamo/events-table.ts).
//
// Exactly once: an event's marker, its feed entry, its shard's head (next position, all-time
// counters) and its day's counters are written in one transaction; the marker's condition refuses
// a replay as a whole. Exact resumption: a feed entry's position is the head's next one, checked
// in the same transaction, so positions in a shard are committed in order; a reader reads the heads
// first and then no further than them, so it never steps over a position still to be written.
import { BatchGetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PointsEvent } from '../domain/events.js';
import { FEED_SHARDS, feedShard } from '../domain/feed.js';
import { countOf, dayOf, sumCounters, type Counters } from '../domain/statement.js';
import { backoff } from '../service/backoff.js';
import type { EventStore, FeedSlice } from '../service/events.js';
import type { AnyRecord } from './items.js';
import { HEAD_SK, WATERMARK_PK, countersPk, daySk, eventsTableName, feedPk, markerKey, positionSk } from './events-table.js';
import { tableName } from './table.js';

/** Markers outlive the stream's 24 hours and any replay from the on-failure queue (14 days). */
const MARKER_TTL_S = 30 * 24 * 3600;
/** Progress of stream shards not heard of for this long is left out (closed by a shard roll-over). */
const STALE_PROGRESS_MS = 3600_000;
const shards = () => Array.from({ length: FEED_SHARDS }, (_, shard) => shard);

export class DynamoEventStore implements EventStore {
  /** Last known position of each payer shard this consumer wrote: saves a read per event. */
  private readonly heads = new Map<string, number>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table = eventsTableName(tableName()),
  ) {}

  async project(event: PointsEvent): Promise<boolean> {
    const shard = feedShard(event.userId);
    const headKey = { pk: countersPk(event.payer, shard), sk: HEAD_SK };
    const { counter, points } = countOf(event);
    for (let attempt = 0; ; attempt++) {
      const head = this.heads.get(headKey.pk) ?? (await this.readHeads(event.payer, [shard]))[0]!.n;
      const position = head + 1;
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.table, Item: { ...markerKey(event.id), ttl: Math.floor(Date.now() / 1000) + MARKER_TTL_S }, ConditionExpression: 'attribute_not_exists(pk)' } },
              { Put: { TableName: this.table, Item: { pk: feedPk(event.payer, shard), sk: positionSk(position), e: JSON.stringify(event) }, ConditionExpression: 'attribute_not_exists(pk)' } },
              {
                Update: {
                  TableName: this.table,
                  Key: headKey,
                  UpdateExpression: 'SET n = :position ADD #c :points',
                  ConditionExpression: head === 0 ? 'attribute_not_exists(n)' : 'n = :head',
                  ExpressionAttributeNames: { '#c': counter },
                  ExpressionAttributeValues: { ':position': position, ':points': points, ...(head === 0 ? {} : { ':head': head }) },
                },
              },
              {
                Update: {
                  TableName: this.table,
                  Key: { pk: headKey.pk, sk: daySk(dayOf(event.createdAt)) },
                  UpdateExpression: 'ADD #c :points',
                  ExpressionAttributeNames: { '#c': counter },
                  ExpressionAttributeValues: { ':points': points },
                },
              },
            ],
          }),
        );
        this.heads.set(headKey.pk, position);
        return true;
      } catch (error) {
        const reasons = (error as { name?: string; CancellationReasons?: { Code?: string }[] }).CancellationReasons;
        if ((error as Error).name !== 'TransactionCanceledException' || !reasons) throw error;
        this.heads.delete(headKey.pk); // stale after any refusal: read again
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return false; // projected before
        // Another consumer took the position, or holds the head in its transaction: again.
        if (attempt >= 50) throw error;
        await backoff(attempt, 2, 200);
      }
    }
  }

  /** The heads of these shards of the payer (consistent): last position and all-time counters. */
  private async readHeads(payer: string, of: readonly number[]): Promise<(Counters & { n: number })[]> {
    const found = new Map<string, AnyRecord>();
    let keys: AnyRecord[] = of.map((shard) => ({ pk: countersPk(payer, shard), sk: HEAD_SK }));
    while (keys.length > 0) {
      const out = await this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of out.Responses?.[this.table] ?? []) found.set(item.pk as string, item);
      keys = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
    }
    return of.map((shard) => {
      const item = found.get(countersPk(payer, shard));
      return { ...sumCounters([(item ?? {}) as Partial<Counters>]), n: (item?.n as number | undefined) ?? 0 };
    });
  }

  async feed(payer: string, after: readonly number[], limit: number): Promise<FeedSlice> {
    // Heads first: every position up to a head read now is committed, so reading no further than
    // it never skips one that a transaction still in flight will fill.
    const heads = (await this.readHeads(payer, shards())).map((head) => head.n);
    const positions = [...after];
    const events: string[] = [];
    for (const shard of shards()) {
      while (events.length < limit && positions[shard]! < heads[shard]!) {
        const out = await this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': feedPk(payer, shard), ':from': positionSk(positions[shard]! + 1), ':to': positionSk(heads[shard]!) },
            ConsistentRead: true,
            Limit: limit - events.length,
          }),
        );
        for (const item of out.Items ?? []) {
          events.push(item.e as string);
          positions[shard] = Number(item.sk);
        }
        if ((out.Items ?? []).length === 0) break; // cannot happen below a head; never loop on it
      }
    }
    return { events, positions, more: shards().some((shard) => positions[shard]! < heads[shard]!) };
  }

  async counters(payer: string, from: string, to: string) {
    const [heads, perShard] = await Promise.all([
      this.readHeads(payer, shards()),
      Promise.all(
        shards().map(async (shard) => {
          const days: { date: string; counters: Partial<Counters> }[] = [];
          let startKey: AnyRecord | undefined;
          do {
            const out = await this.db.send(
              new QueryCommand({
                TableName: this.table,
                KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
                ExpressionAttributeValues: { ':pk': countersPk(payer, shard), ':from': daySk(from), ':to': daySk(to) },
                ConsistentRead: true,
                ExclusiveStartKey: startKey,
              }),
            );
            for (const item of out.Items ?? []) days.push({ date: (item.sk as string).slice(2), counters: item as Partial<Counters> });
            startKey = out.LastEvaluatedKey;
          } while (startKey);
          return days;
        }),
      ),
    ]);
    return { days: perShard.flat(), allTime: sumCounters(heads) };
  }

  async noteProgress(shard: string, through: string, closed = false): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: WATERMARK_PK, sk: shard },
          UpdateExpression: 'SET through = :through, seen = :seen, closed = :closed',
          // Progress never moves back (a retried batch, a late invocation).
          ConditionExpression: 'attribute_not_exists(through) OR through <= :through',
          ExpressionAttributeValues: { ':through': through, ':seen': Date.now(), ':closed': closed },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async progress(): Promise<string | undefined> {
    const items: AnyRecord[] = [];
    let startKey: AnyRecord | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': WATERMARK_PK }, ConsistentRead: true, ExclusiveStartKey: startKey }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    if (items.length === 0) return undefined;
    const live = items.filter((item) => !item.closed && (item.seen as number) > Date.now() - STALE_PROGRESS_MS);
    // Every shard closed or quiet: the newest progress is as far as anything is known.
    const throughs = (live.length > 0 ? live : items).map((item) => item.through as string).sort();
    return live.length > 0 ? throughs[0] : throughs.at(-1);
  }
}
