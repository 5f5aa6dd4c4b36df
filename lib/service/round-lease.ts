// How a round uses the user's write lease (lib/dynamo/lease.ts holds its mechanics): claim it after
// lost races, so this instance's turn comes; while another instance holds it, wait and read
// again rather than send a transaction that could only lose; let go of it if no commit did.
import { isUnavailable } from './store.js';
import type { Account } from '../domain/ledger.js';
import type { Store } from './store.js';

/** Lost races after which a round claims the lease: one, so a storm turns into turns at once. */
const CLAIM_AFTER = 1;
/** While another instance holds the lease: how often to read the account again (a read, no write). */
const POLL_MS = 20;

export class RoundLease {
  private held = false;
  /** The last read found another instance's lease: claiming now would only fail. */
  private busy = false;

  constructor(
    private readonly store: Pick<Store, 'claim' | 'release'>,
    private readonly userId: string,
  ) {}

  /**
   * Before an attempt's read, with the races this round has lost so far (upkeep steps and waits
   * are no lost races). Returns the account when a claim was made now: the attempt needs no read.
   * A claim the database does not answer is no claim (one that landed unseen expires).
   */
  async beforeAttempt(lostRaces: number): Promise<Account | undefined> {
    if (lostRaces < CLAIM_AFTER || this.held || this.busy) return undefined;
    const account = await this.store.claim(this.userId).catch((error: unknown) => {
      if (isUnavailable(error)) return undefined;
      throw error;
    });
    this.held = account !== undefined;
    return account;
  }

  /** After the read: true (having waited a moment) when another instance holds the lease. */
  async waitedForOther(busyForMs: number): Promise<boolean> {
    this.busy = busyForMs > 0;
    if (this.busy) await new Promise((resolve) => setTimeout(resolve, Math.min(busyForMs, POLL_MS)));
    return this.busy;
  }

  /** A commit of this instance (a round's or upkeep's) ended the lease. */
  committed(): void {
    this.held = false;
  }

  /** At the end of the round: lets go of a lease no commit ended. */
  async end(): Promise<void> {
    if (this.held) await this.store.release(this.userId).catch(() => undefined);
  }
}
