// Group commit: requests for one user, planned one after another in arrival order against one
// evolving account state, and written as one transaction. Each request's draft is accepted only
// if it fits in what is left of the transaction's 100 items, so a batch is exactly the sequence
// of its requests run one at a time.
import { ApiError, DOMAIN_REFUSALS } from './errors.js';
import { recordOf, replay, type Idempotency, type Reply } from './idempotency.js';
import type { Account, OpenLot, Pending, Take } from './ledger.js';
import type { LotBook } from './lot-book.js';
import { instantOfMs } from './timestamp.js';
import { MAX_TRANSACTION_ITEMS, type Commit, type IdempotencyRecord, type LotUpdate, type NewRecord, type TakeChunk } from './commit.js';

/** What one request would change, planned against the batch's state without changing it. */
export interface Draft {
  /** The 200 answer's body. */
  reply: unknown;
  account: Account;
  records?: NewRecord[];
  /** Takes from the batch's lot book (spends). */
  takes?: Take[];
  /** A lot this request opens (positive adds). */
  lot?: OpenLot;
  chunks?: TakeChunk[];
  /** Lot writes outside the lot book (negative adds, reversals). */
  lots?: LotUpdate[];
  reversed?: Commit['reversed'];
  hold?: Commit['hold'];
  /** Work left for roll-forward (operations too large for one transaction: never batched). */
  pending?: Pending;
  /** Items this request adds to the transaction, its idempotency record excluded. */
  items: number;
}

/** The planner answers "later" when a request needs a transaction of its own. */
export const LATER = 'later' as const;

export type Outcome = { reply: Reply } | { error: unknown };

export class Batch {
  account: Account;
  private readonly records: NewRecord[] = [];
  private readonly chunks: TakeChunk[] = [];
  private readonly lots: LotUpdate[] = [];
  private readonly idempotency: IdempotencyRecord[] = [];
  /** Lots opened by this batch, by sequence number. */
  private readonly opened = new Map<number, OpenLot>();
  private readonly answered = new Map<string, { fingerprint: string; status: number; body: string }>();
  private reversed: Commit['reversed'];
  private hold: Commit['hold'];
  pending: Pending | undefined;
  private items = 1; // the account
  /** Requests that changed or recorded something. */
  planned = 0;

  constructor(
    account: Account,
    readonly book: LotBook,
    /** The batch's clock (epoch ms): one instant for every request in it. */
    readonly now: number,
    private readonly stored: ReadonlyMap<string, IdempotencyRecord>,
  ) {
    this.account = account;
  }

  get room(): number {
    return MAX_TRANSACTION_ITEMS - this.items;
  }

  /** The first answer to this key, from the table or from earlier in this batch. */
  earlierAnswer(idempotency: Idempotency | undefined): Outcome | undefined {
    if (!idempotency) return undefined;
    const first = this.answered.get(idempotency.key) ?? this.stored.get(idempotency.key);
    if (!first) return undefined;
    try {
      return { reply: replay(first, idempotency) };
    } catch (error) {
      return { error };
    }
  }

  /** Accepts a draft if it fits; false leaves the batch as it was. */
  accept(draft: Draft, idempotency: Idempotency | undefined): Reply | undefined {
    const items = draft.items + (idempotency ? 1 : 0);
    if (items > this.room) return undefined;
    const reply: Reply = { status: 200, body: JSON.stringify(draft.reply) };
    this.account = draft.account;
    this.records.push(...(draft.records ?? []));
    this.chunks.push(...(draft.chunks ?? []));
    this.lots.push(...(draft.lots ?? []));
    if (draft.takes) this.book.apply(draft.takes);
    if (draft.lot) {
      this.book.add(draft.lot);
      this.opened.set(draft.lot.seq, draft.lot);
    }
    if (draft.reversed) this.reversed = draft.reversed;
    if (draft.hold) this.hold = draft.hold;
    if (draft.pending) this.pending = draft.pending;
    this.items += items;
    this.remember(idempotency, reply);
    this.planned += 1;
    return reply;
  }

  /** A refusal that depends on the ledger's state is stored under its key, so a retry sees it again. */
  refuse(error: unknown, idempotency: Idempotency | undefined): boolean {
    if (!idempotency || !(error instanceof ApiError) || !DOMAIN_REFUSALS.includes(error.code)) return true;
    if (this.room < 1) return false;
    this.items += 1;
    this.remember(idempotency, { status: error.status, body: JSON.stringify(error.toProblem()) });
    this.planned += 1;
    return true;
  }

  private remember(idempotency: Idempotency | undefined, reply: Reply) {
    if (!idempotency) return;
    this.answered.set(idempotency.key, { fingerprint: idempotency.fingerprint, status: reply.status, body: reply.body });
    this.idempotency.push(recordOf(idempotency, reply, this.now));
  }

  /** The batch's one transaction, or undefined when it has nothing to write. */
  commit(userId: string, expectVersion: number): Commit | undefined {
    if (this.planned === 0) return undefined;
    const { seq, total, balances, nextExpiry } = this.account;
    // Lots opened by this batch are written once, with what the batch's own spends left in them.
    const records = this.records.map((record) => {
      const lot = this.opened.get(record.seq);
      return lot && record.item.type === 'add' ? { ...record, item: { ...record.item, remaining: this.book.remainingOf(lot) } } : record;
    });
    return {
      userId,
      expectVersion,
      at: instantOfMs(this.now).utc,
      account: { seq, total, balances, pending: this.pending ?? null, nextExpiry: nextExpiry ?? null },
      records,
      lots: [...this.book.updates(), ...this.lots],
      chunks: this.chunks,
      ...(this.reversed ? { reversed: this.reversed } : {}),
      ...(this.hold ? { hold: this.hold } : {}),
      idempotency: this.idempotency,
    };
  }

  /** The first record written: reading it back tells whether a write whose answer was lost landed. */
  probe(): { seq: number; id: string } | undefined {
    const first = this.records[0];
    return first && { seq: first.seq, id: first.item.id };
  }
}
