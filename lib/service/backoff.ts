/** Waits a random time up to min(capMs, baseMs * 2^attempt) ("full jitter"): contending callers spread out instead of colliding again. */
export const backoff = (attempt: number, baseMs: number, capMs: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(capMs, baseMs * 2 ** attempt)));
