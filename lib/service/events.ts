// The events pipeline's service side (docs/events.md): projections of committed ledger records,
// run in stream order by the stream consumer (functions/stream.ts), and the reads of what they
// built: a payer's feed and its statement. lib/dynamo/event-store.ts implements the EventStore.
import { eventsOf, type CommittedRecord, type PointsEvent } from '../domain/events.js';
import { FEED_SHARDS } from '../domain/feed.js';
import { statementOf, type Counters, type Statement } from '../domain/statement.js';
import { instantOfMs } from '../domain/timestamp.js';
import { REQUEST_BUDGET_MS } from './deadline.js';

export interface FeedSlice {
  /** Events as JSON text, as projected. */
  events: string[];
  /** The position read up to in each shard. */
  positions: number[];
  /** True when events follow the last ones returned. */
  more: boolean;
}

export interface EventStore {
  /**
   * Projects one event into its payer's feed and counters, all in one transaction with the event's
   * marker, so a replay changes nothing. False when it was projected before.
   */
  project(event: PointsEvent): Promise<boolean>;
  /** Up to `limit` events of the payer after `after` (a position per shard), in each shard's order. */
  feed(payer: string, after: readonly number[], limit: number): Promise<FeedSlice>;
  /** The payer's counters per UTC day from `from` to `to` (one part per shard and day), and over all time. */
  counters(payer: string, from: string, to: string): Promise<{ days: { date: string; counters: Partial<Counters> }[]; allTime: Counters }>;
  /** The consumer has projected every record of stream shard `shard` committed at or before `through`. */
  noteProgress(shard: string, through: string, closed?: boolean): Promise<void>;
  /** The earliest `through` of the stream shards still written to; undefined before any progress. */
  progress(): Promise<string | undefined>;
}

/** One projection of the consumer: given each committed record, in stream order, with its events. */
export type Projection = (record: CommittedRecord, events: readonly PointsEvent[]) => Promise<void>;

/**
 * A record is committed at most this long after its createdAt (the request budget, plus slack for
 * clocks): a consumer that has projected a record of createdAt t, or found its stream shard empty at
 * t, has seen every record of that shard with createdAt up to t minus this.
 */
export const COMMIT_WINDOW_MS = REQUEST_BUDGET_MS + 1_500;

export const throughOf = (ms: number) => instantOfMs(ms - COMMIT_WINDOW_MS).utc;

export class EventsService {
  /** The consumer's projections, run in this order on each record (webhooks add theirs). */
  readonly projections: Projection[];

  constructor(readonly store: EventStore) {
    this.projections = [(_record, events) => this.projectAll(events)];
  }

  private async projectAll(events: readonly PointsEvent[]): Promise<void> {
    for (const event of events) await this.store.project(event);
  }

  /** Runs every projection on one committed record. */
  async consume(record: CommittedRecord): Promise<void> {
    const events = eventsOf(record);
    for (const projection of this.projections) await projection(record, events);
  }

  /** A page of the payer's feed after the given positions (none: from the start). */
  feed(payer: string, after: readonly number[] | undefined, limit: number): Promise<FeedSlice> {
    return this.store.feed(payer, after ?? new Array<number>(FEED_SHARDS).fill(0), limit);
  }

  async statement(payer: string, from: string, to: string): Promise<Statement> {
    // Progress first: whatever the counters show, they hold at least what it promises.
    const through = await this.store.progress();
    const { days, allTime } = await this.store.counters(payer, from, to);
    return statementOf(payer, from, to, through ?? instantOfMs(0).utc, days, allTime);
  }
}
