// ensureTable brings a table made before the events pipeline up to date in place: its stream on
// (NEW_IMAGE), the due index created, the events table made; a second call changes nothing.
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { createClient } from '../lib/dynamo/client.js';
import { eventsTableName } from '../lib/dynamo/events-table.js';
import { ensureTable, tableDefinition } from '../lib/dynamo/table.js';

describe('ensureTable on a table from before the events pipeline', () => {
  it('turns the stream on and creates the due index and the events table', async () => {
    const db = createClient(inject('dynamoEndpoint'));
    const name = `points-old-${process.pid}-${Date.now().toString(36)}`;
    try {
      const { GlobalSecondaryIndexes: _due, StreamSpecification: _stream, AttributeDefinitions, ...old } = tableDefinition(name);
      await db.send(new CreateTableCommand({ ...old, AttributeDefinitions: AttributeDefinitions!.filter((a) => a.AttributeName !== 'dp' && a.AttributeName !== 'dx') }));
      await ensureTable(db, name);
      await ensureTable(db, name);
      const { Table } = await db.send(new DescribeTableCommand({ TableName: name }));
      expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
      expect(Table?.LatestStreamArn).toBeTruthy();
      expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['due']);
      const events = await db.send(new DescribeTableCommand({ TableName: eventsTableName(name) }));
      expect(events.Table?.KeySchema?.map((k) => k.AttributeName)).toEqual(['pk', 'sk']);
    } finally {
      db.destroy();
    }
  });
});
