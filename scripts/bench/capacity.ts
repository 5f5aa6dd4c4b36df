// DynamoDB capacity units of one request, from the sizes of the items it reads and writes, by
// DynamoDB's published rules (its developer guide, "Read/write capacity mode" and "Item sizes"):
//   reads:  one unit per 4 KB, strongly consistent (half that if eventually consistent); GetItem
//           and each BatchGetItem item round up on their own, a Query rounds up its summed size;
//           at least one unit per item asked for (a missing item costs one too);
//   writes: one unit per 1 KB of each item; an update is sized by its item after the update;
//   transactions count every item twice;
//   local secondary indexes: an item written with an index's key, or an update touching an
//           index's key or projected attributes, writes one index entry per index (< 1 KB here).
// DynamoDB Local reports ConsumedCapacity, but not realistically (100 puts in a transaction: 2).
// The benchmark adds it to its own client (meteredClient); the API's bundles never carry it.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableDefinition } from '../../lib/dynamo/table.js';
import { countUnits } from '../../lib/telemetry/metrics.js';

type AnyRecord = Record<string, unknown>;

export interface Units {
  read: number;
  write: number;
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Bytes of one attribute value: strings in UTF-8, numbers 1 byte per 2 significant digits + 1. */
function valueBytes(value: unknown): number {
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value).replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  // Lists and maps: 3 bytes, plus 1 byte per element (and a map's element names).
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + valueBytes(v) + 1, 0);
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + valueBytes(v), 0);
  return 3 + Object.entries(value as AnyRecord).reduce((n, [k, v]) => n + utf8(k) + valueBytes(v) + 1, 0);
}

/** An item's size: each attribute's name and value. */
export const itemBytes = (item: AnyRecord): number => Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + valueBytes(value), 0);

const readUnitsOf = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / 4096)) / (consistent ? 1 : 2);
const writeUnitsOf = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

// The local secondary indexes: their sort keys and projected attributes.
const INDEXES = (tableDefinition('any').LocalSecondaryIndexes ?? []).map((index) => ({
  key: index.KeySchema!.find((k) => k.KeyType === 'RANGE')!.AttributeName!,
  attributes: new Set(index.Projection?.NonKeyAttributes ?? []),
}));

function indexWritesOfPut(item: AnyRecord): number {
  return INDEXES.filter((index) => item[index.key] !== undefined).length;
}

function indexWritesOfUpdate(update: AnyRecord): number {
  const names = (update.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const touched = new Set(
    String(update.UpdateExpression ?? '')
      .split(/[\s,=+\-()]+/)
      .filter((token) => /^[#A-Za-z_]/.test(token) && !/^(SET|REMOVE|ADD|DELETE|if_not_exists|list_append)$/i.test(token))
      .map((token) => names[token] ?? token),
  );
  return INDEXES.filter((index) => touched.has(index.key) || [...index.attributes].some((a) => touched.has(a))).length;
}

/** An update's item after it: the key and the values it sets (the whole item for the account). */
function updateBytes(update: AnyRecord): number {
  return itemBytes(update.Key as AnyRecord) + itemBytes((update.ExpressionAttributeValues ?? {}) as AnyRecord);
}

function writeOne(action: AnyRecord, factor: number): number {
  if (action.Put) {
    const item = (action.Put as AnyRecord).Item as AnyRecord;
    return factor * (writeUnitsOf(itemBytes(item)) + indexWritesOfPut(item));
  }
  if (action.Update) return factor * (writeUnitsOf(updateBytes(action.Update as AnyRecord)) + indexWritesOfUpdate(action.Update as AnyRecord));
  if (action.Delete) return factor * (1 + INDEXES.length);
  if (action.ConditionCheck) return factor; // charged as a write of up to 1 KB
  return 0;
}

/** Capacity units of one request; `output` as the document client returns it. */
export function unitsOf(command: string, input: AnyRecord, output: AnyRecord): Units {
  const consistent = input.ConsistentRead === true;
  switch (command) {
    case 'GetItemCommand':
      return { read: readUnitsOf(output.Item ? itemBytes(output.Item as AnyRecord) : 0, consistent), write: 0 };
    case 'BatchGetItemCommand': {
      let read = 0;
      for (const [table, request] of Object.entries(input.RequestItems as Record<string, { Keys: unknown[]; ConsistentRead?: boolean }>)) {
        const found = ((output.Responses as Record<string, AnyRecord[]> | undefined)?.[table] ?? []).map(itemBytes);
        const missing = Math.max(0, request.Keys.length - found.length);
        read += [...found, ...Array<number>(missing).fill(0)].reduce((n, bytes) => n + readUnitsOf(bytes, request.ConsistentRead === true), 0);
      }
      return { read, write: 0 };
    }
    case 'QueryCommand':
      return { read: readUnitsOf(((output.Items ?? []) as AnyRecord[]).reduce((n, item) => n + itemBytes(item), 0), consistent), write: 0 };
    case 'PutItemCommand':
      return { read: 0, write: writeOne({ Put: input }, 1) };
    case 'UpdateItemCommand':
      return { read: 0, write: writeOne({ Update: input }, 1) };
    case 'TransactWriteItemsCommand':
      return { read: 0, write: (input.TransactItems as AnyRecord[]).reduce((n, action) => n + writeOne(action, 2), 0) };
    case 'BatchWriteItemCommand': {
      const requests = Object.values(input.RequestItems as Record<string, AnyRecord[]>).flat();
      return { read: 0, write: requests.reduce((n, r) => n + (r.PutRequest ? writeOne({ Put: r.PutRequest }, 1) : writeOne({ Delete: r.DeleteRequest }, 1)), 0) };
    }
    default:
      return { read: 0, write: 0 };
  }
}

/** Adds a middleware that counts every request's capacity units into the measured operation. */
export function countCapacity(client: DynamoDBDocumentClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const units = unitsOf(context.commandName ?? '', args.input as AnyRecord, result.output as unknown as AnyRecord);
      countUnits(units.read, units.write);
      return result;
    },
    { step: 'initialize', name: 'capacityUnits' },
  );
}
