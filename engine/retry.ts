/**
 * A step's `retries:` as attempts, with one backoff for local runs and Temporal's retry
 * policy alike. Plain data and arithmetic: the Temporal workflow sandbox imports this file.
 */

/** The wait before the first retry; each later one waits `BACKOFF` times longer, up to `MAX_INTERVAL_MS`. */
export const INITIAL_INTERVAL_MS = 1000;
export const BACKOFF = 2;
export const MAX_INTERVAL_MS = 30_000;

/** Retries of a step without `retries:` on Temporal workers: a lost worker's step gets another worker. Locally it is 0. */
export const DEFAULT_CLUSTER_RETRIES = 2;

/** The wait before retry `n` (1 for the first). */
export function retryDelayMs(n: number): number {
  return Math.min(MAX_INTERVAL_MS, INITIAL_INTERVAL_MS * BACKOFF ** (n - 1));
}
