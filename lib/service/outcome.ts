// How the service learns the outcome of a write DynamoDB left unanswered (SPEC "Bounded and
// honest under faults"): it reads back, and answers as if the write had been confirmed or
// refused; only when that read fails too does the client get 503 OUTCOME_UNKNOWN.
import { isUnavailable, UnknownOutcome } from './store.js';
import { type Commit } from '../domain/commit.js';
import { ConflictError, type Store } from './store.js';

/**
 * Commits a round's planned requests; if the outcome is unknown, reads back whether the commit
 * landed: its first record's id (random per plan) is at that record's place, or not. Landed:
 * returns as if confirmed. Not landed: throws ConflictError, so the round is planned again as
 * after any conflict (the commit carries a version check, so it can never land twice). If the
 * read-back fails too, the UnknownOutcome stands: 503 OUTCOME_UNKNOWN.
 */
export async function commitWithReadBack(store: Store, commit: Commit): Promise<void> {
  try {
    await store.commit(commit);
  } catch (error) {
    const first = commit.records?.[0];
    if (!(error instanceof UnknownOutcome) || !first) throw error;
    let id: string | undefined;
    try {
      id = await store.recordId(commit.userId, first.seq);
    } catch (readError) {
      if (isUnavailable(readError)) throw error;
      throw readError;
    }
    if (id !== first.item.id) throw new ConflictError();
  }
}

/**
 * Commits upkeep (roll-forward, expiry), which the account alone decides: after an unknown
 * outcome, re-reading the account shows whether it landed and what is left, exactly as after a
 * conflict. So no request is told OUTCOME_UNKNOWN about work it did not ask for.
 */
export async function commitUpkeep(store: Store, commit: Commit): Promise<void> {
  try {
    await store.commit(commit);
  } catch (error) {
    throw error instanceof UnknownOutcome ? new ConflictError() : error;
  }
}
