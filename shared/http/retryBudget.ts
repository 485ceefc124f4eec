// How long a Defender call may keep retrying depends on who waits for it. Queued and scheduled work (and the CLI)
// has minutes: it rides out a short outage (BACKGROUND_MAX_RETRIES). A synchronous HTTP caller does not: Logic Apps
// gives up after 120 s (integration-conventions.md §1.3) and retries a 503 itself, so an HTTP invocation gets fewer
// retries (MAX_RETRIES) and one deadline for all its calls (HTTP_DEADLINE_SECONDS after the request arrived).
// The edge (functions/) declares the budget once per invocation; the one HTTP path (defenderHttp.ts) reads it.
// AsyncLocalStorage carries it through the engine and steps in between, which then need not pass it by hand.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RetryBudget {
  /** Retries per call after its first attempt. */
  maxRetries: number;
  /**
   * Epoch ms by which the invocation must answer: no attempt starts after it, no wait ends after it, and an
   * attempt's timeout is cut to the time left.
   */
  deadline?: number;
}

const active = new AsyncLocalStorage<RetryBudget>();

/** Runs `fn` (and everything it awaits) under `budget`. */
export function withRetryBudget<T>(budget: RetryBudget, fn: () => T): T {
  return active.run(budget, fn);
}

/** The budget of the invocation this code runs in; undefined outside any (the caller's default applies). */
export function activeRetryBudget(): RetryBudget | undefined {
  return active.getStore();
}
