// The benchmark's capacity units (scripts/bench/capacity.ts) against DynamoDB's published rules.
import { describe, expect, it } from 'vitest';
import { itemBytes, unitsOf } from '../scripts/bench/capacity.js';

const sized = (bytes: number) => ({ pk: 'u', sk: 'x'.repeat(bytes - 'pk'.length - 1 - 'sk'.length) }); // exactly `bytes`

describe('item size', () => {
  it('counts names and values: UTF-8 strings, numbers by significant digits, lists and maps with their overhead', () => {
    expect(itemBytes({ a: 'abc' })).toBe(4);
    expect(itemBytes({ é: 'é' })).toBe(4); // two bytes each in UTF-8
    expect(itemBytes({ n: 12345 })).toBe(1 + 3 + 1); // 5 significant digits: 3 bytes, plus 1
    expect(itemBytes({ n: 1000 })).toBe(1 + 1 + 1); // trailing zeros are not significant
    expect(itemBytes({ b: true, z: null })).toBe(4);
    expect(itemBytes({ l: ['ab', 7] })).toBe(1 + 3 + (2 + 1) + (2 + 1));
    expect(itemBytes({ m: { k: 'v' } })).toBe(1 + 3 + (1 + 1 + 1));
    expect(itemBytes(sized(4096))).toBe(4096);
  });
});

describe('capacity units', () => {
  it('reads: 4 KB per unit, strongly consistent; a missing item still costs one; a query rounds its total once', () => {
    expect(unitsOf('GetItemCommand', { ConsistentRead: true }, { Item: sized(4096) })).toEqual({ read: 1, write: 0 });
    expect(unitsOf('GetItemCommand', { ConsistentRead: true }, { Item: sized(4097) })).toEqual({ read: 2, write: 0 });
    expect(unitsOf('GetItemCommand', { ConsistentRead: true }, {})).toEqual({ read: 1, write: 0 });
    expect(unitsOf('GetItemCommand', {}, { Item: sized(100) })).toEqual({ read: 0.5, write: 0 });
    const batch = { RequestItems: { t: { Keys: [{}, {}, {}], ConsistentRead: true } } };
    expect(unitsOf('BatchGetItemCommand', batch, { Responses: { t: [sized(100), sized(5000)] } })).toEqual({ read: 1 + 2 + 1, write: 0 });
    expect(unitsOf('QueryCommand', { ConsistentRead: true }, { Items: [sized(3000), sized(3000)] })).toEqual({ read: 2, write: 0 });
    expect(unitsOf('QueryCommand', { ConsistentRead: true }, { Items: [] })).toEqual({ read: 1, write: 0 });
  });

  it('writes: 1 KB per unit per item, twice in a transaction, plus an entry per local index the item is in', () => {
    expect(unitsOf('PutItemCommand', { Item: sized(1024) }, {})).toEqual({ read: 0, write: 1 });
    expect(unitsOf('PutItemCommand', { Item: sized(1025) }, {})).toEqual({ read: 0, write: 2 });
    const lot = { pk: 'u', sk: 'T#1', o: '2024#1', po: 'P\u00012024#1', payer: 'P', rem: 5 };
    expect(unitsOf('PutItemCommand', { Item: lot }, {})).toEqual({ read: 0, write: 1 + 2 });
    const closeLot = { Update: { Key: { pk: 'u', sk: 'T#1' }, UpdateExpression: 'SET rem = :r REMOVE o, po', ExpressionAttributeValues: { ':r': 0 } } };
    const account = { Update: { Key: { pk: 'u', sk: 'A' }, UpdateExpression: 'SET ver = :next, #bal = :bal', ExpressionAttributeNames: { '#bal': 'bal' }, ExpressionAttributeValues: { ':next': 2, ':bal': [['P', 5, 'x'.repeat(2000)]] } } };
    // account: about 2 KB -> 2 units; the closed lot: 1 unit + an entry in each of the 3 indexes
    // that project `rem` (an update cannot tell whether the item is in the sparse `expiring`
    // index, so it counts it: an upper bound); all doubled.
    expect(unitsOf('TransactWriteItemsCommand', { TransactItems: [account, closeLot, { Put: { Item: sized(10) } }] }, {})).toEqual({ read: 0, write: 2 * (2 + 4 + 1) });
  });
});
