// Helpers of the webhook tests: the webhook store of the run's DynamoDB Local, and committed
// ledger records made by hand, turned into events with eventsOf() and scheduled by the same
// projection the stream consumer runs.
import { inject } from 'vitest';
import { eventsOf, type CommittedRecord, type PointsEvent } from '../../lib/domain/events.js';
import { createClient } from '../../lib/dynamo/client.js';
import { DynamoWebhookStore } from '../../lib/dynamo/webhooks.js';
import { scheduleDeliveries } from '../../lib/service/webhooks/fanout.js';

export const webhookStore = (table = `${inject('table')}-webhooks`) => new DynamoWebhookStore(createClient(inject('dynamoEndpoint')), table);

/** A committed add (positive: points.added; negative: points.deducted) at `seq` of the user. */
export const addRecord = (userId: string, seq: number, payer: string, points: number): CommittedRecord => {
  const now = new Date().toISOString();
  return { userId, seq, createdAt: now, item: { id: `${seq}-${seq.toString(16).padStart(8, '0')}`, type: 'add', payer, points, timestamp: now, ...(points > 0 ? { remaining: points } : {}) } };
};

/** A committed spend drawing 1 point from each payer. */
export const spendRecord = (userId: string, seq: number, payers: string[]): CommittedRecord => {
  const now = new Date().toISOString();
  return { userId, seq, createdAt: now, item: { id: `${seq}-${seq.toString(16).padStart(8, '0')}`, type: 'spend', points: -payers.length, timestamp: now, breakdown: payers.map((payer) => ({ payer, points: -1 })), reversed: 0 } as CommittedRecord['item'] };
};

/** What the stream consumer's webhook projection does with these records: events, then durable deliveries. */
export async function publish(store: DynamoWebhookStore, records: CommittedRecord[]): Promise<PointsEvent[]> {
  const events = records.flatMap(eventsOf);
  await scheduleDeliveries(store, events);
  return events;
}
