// How the service learns the outcome of a write DynamoDB left unanswered (SPEC "Bounded and
// honest under faults"): it reads back, and answers as if the write had been confirmed or
// refused; only when that read fails too does the client get 503 OUTCOME_UNKNOWN.
import { isUnavailable, UnknownOutcome } from './db-errors.js';
import { ConflictError, type Commit, type Store } from './store.js';

/**
 * Commits, and if the outcome is unknown reads back whether the commit landed: if it did, returns
 * as if confirmed; if not, throws ConflictError, so the caller plans again as after any conflict
 * (the commit carries a version check, so it can never land twice). If the read-back fails too,
 * the UnknownOutcome stands: 503 OUTCOME_UNKNOWN.
 */
export async function commitWithReadBack(store: Store, commit: Commit): Promise<void> {
  try {
    await store.commit(commit);
  } catch (error) {
    if (!(error instanceof UnknownOutcome)) throw error;
    let landed: boolean;
    try {
      landed = await store.landed(commit);
    } catch (readError) {
      if (isUnavailable(readError)) throw error;
      throw readError;
    }
    if (!landed) throw new ConflictError();
  }
}

/**
 * For work after an operation is committed (the roll-forward of a large spend): a DynamoDB fault
 * there does not change the answer, which is the operation's 200; the account records what is
 * left, and the next request for the user finishes it.
 */
export function leftForNextRequest(error: unknown): void {
  if (!isUnavailable(error)) throw error;
}
