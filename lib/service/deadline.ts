// Every request's time budget (SPEC "Bounded and honest under faults": every request ends
// within 10 s). The HTTP edge starts it; the DynamoDB client reads it to bound each attempt, so
// no code below the edge has to pass it around. Outside a request (tests of the service, the
// bench's loader, scripts) there is no deadline.
import { AsyncLocalStorage } from 'node:async_hooks';

/** Time a request may spend in the handler: the rest of the 10 s is for the emulator or API Gateway and the network. */
export const REQUEST_BUDGET_MS = 8_500;
/**
 * Kept free of writes at the end of the budget: a write whose answer is lost needs this long to
 * read back whether it landed, so that the client learns the real outcome instead of 503 OUTCOME_UNKNOWN.
 */
export const READ_BACK_RESERVE_MS = 2_500;

const deadlines = new AsyncLocalStorage<number>();

/** Runs `task` with a deadline `budgetMs` from now; every DynamoDB call it makes stops by then. */
export function withDeadline<T>(task: () => Promise<T>, budgetMs = REQUEST_BUDGET_MS): Promise<T> {
  return deadlines.run(Date.now() + budgetMs, task);
}

/** Milliseconds left for a read (or, with `write`, for a write) in this request; Infinity outside one. */
export function deadlineLeftMs(write = false): number {
  const at = deadlines.getStore();
  if (at === undefined) return Number.POSITIVE_INFINITY;
  return at - (write ? READ_BACK_RESERVE_MS : 0) - Date.now();
}
