// Records of the ledger table's stream (Lambda's DynamoDBStreamEvent, or the local feeder's copy of
// it) as committed ledger records: only INSERTs of ledger record items (sk "T#…") make events; lot
// updates, reversals marked on spends, accounts, chunks and idempotency records make none.
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { CommittedRecord } from '../domain/events.js';
import { instantOfMs } from '../domain/timestamp.js';
import { ledgerItemOf } from './items.js';
import { seqOfSk } from './table.js';

export function committedRecordOf(record: DynamoDBRecord): CommittedRecord | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return undefined;
  const row = unmarshall(image as Record<string, AttributeValue>);
  if (typeof row.sk !== 'string' || !row.sk.startsWith('T#')) return undefined;
  // Records written before they carried `at`: the stream's own (approximate) commit time.
  const createdAt = typeof row.at === 'string' ? row.at : instantOfMs((record.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000).utc;
  return { userId: row.pk as string, seq: seqOfSk(row.sk), createdAt, item: ledgerItemOf(row) };
}
