// Where an event lives in its payer's feed and counters: a payer's events are spread over
// FEED_SHARDS partition keys by a hash of the user, so no key takes a large payer's whole write
// rate (docs/events.md "Capacity"), and each user's events stay in one shard, in sequence order.
import { createHash } from 'node:crypto';

/** Shards per payer: 5,000 events/s over 32 keys is 157 per key (docs/events.md "Capacity"). */
export const FEED_SHARDS = 32;


/** The shard of a user's events in every payer's feed and counters. */
export const feedShard = (userId: string) => createHash('sha256').update(userId).digest().readUInt32BE(0) % FEED_SHARDS;
