// The events table: what the stream consumer projects from the ledger table's stream
// (docs/events.md). Apart from the ledger table so that these writes never come back through its
// stream, and so that a payer's ever-growing feed is not an item collection of a table with local
// secondary indexes (10 GB at most per partition key there). Keys (\u0001 never occurs in a payer):
//   pk = "F\u0001<payer>\u0001<shard>"  sk = "<position, 12 digits>"  a payer's feed, one shard (lib/domain/feed.ts)
//   pk = "S\u0001<payer>\u0001<shard>"  sk = "#"                      the shard's head: last position n, all-time counters
//                                      sk = "D#<YYYY-MM-DD>"         the shard's counters of one UTC day
//   pk = "M\u0001<event id>"            sk = "M"                      marks an event projected (TTL attribute ttl)
//   pk = "W"                           sk = "<stream shard id>"      how far the consumer got in each stream shard
//   pk = "C"                           sk = "<stream shard id>"      the local feeder's checkpoints (scripts/stream-feeder.ts)
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const eventsTableName = (table: string) => process.env.EVENTS_TABLE_NAME || `${table}-events`;

export const eventsTableDefinition = (name: string): CreateTableCommandInput => ({
  TableName: name,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: ['pk', 'sk'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
});

const SEP = '\u0001';
export const feedPk = (payer: string, shard: number) => `F${SEP}${payer}${SEP}${shard}`;
export const countersPk = (payer: string, shard: number) => `S${SEP}${payer}${SEP}${shard}`;
export const HEAD_SK = '#';
export const daySk = (date: string) => `D#${date}`;
export const positionSk = (position: number) => String(position).padStart(12, '0');
export const markerKey = (eventId: string) => ({ pk: `M${SEP}${eventId}`, sk: 'M' });
export const WATERMARK_PK = 'W';
export const CHECKPOINT_PK = 'C';
