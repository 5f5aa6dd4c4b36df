// When a delivery is attempted again (SPEC "Webhooks"): after each delay of WEBHOOK_RETRY_SCHEDULE,
// N delays making N + 1 attempts, then failed. 2xx delivers; 410 Gone disables the subscription.
/**
 * Standard Webhooks' suggestion: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the first
 * attempt, 27.6 h in all (at least 24 h with the jitter below).
 */
export const DEFAULT_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];
/** Each delay varies by up to ±10 %, so that endpoints failing together do not retry together. */
const JITTER = 0.1;

/** Seconds between attempts, from the setting's text; the default when unset or empty. */
export function parseRetrySchedule(text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') return DEFAULT_RETRY_SCHEDULE;
  const delays = text.split(',').map((part) => Number(part.trim()));
  if (delays.some((d) => !Number.isFinite(d) || d < 0)) throw new Error(`WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds (non-negative numbers), not ${JSON.stringify(text)}`);
  return delays;
}

export type Outcome =
  | { kind: 'delivered' }
  | { kind: 'gone' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'failed' };

/**
 * What follows an attempt that got `status` (null: no answer), the `attempts` made so far
 * included. `final`: an operator's retry, which makes one attempt only.
 */
export function outcomeOf(status: number | null, attempts: number, schedule: readonly number[], final: boolean, random: () => number = Math.random): Outcome {
  if (status !== null && status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 410) return { kind: 'gone' };
  const delay = schedule[attempts - 1];
  if (final || delay === undefined) return { kind: 'failed' };
  return { kind: 'retry', delayMs: Math.round(delay * 1000 * (1 + JITTER * (2 * random() - 1))) };
}
