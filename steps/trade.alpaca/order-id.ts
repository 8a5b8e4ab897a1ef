/**
 * Deterministic client_order_ids. The same decision (pipeline, step, decision date,
 * model version) gives every order the same id on every run, so the broker itself
 * answers "was this one sent?" and refuses a second order under it.
 */
import { createHash } from 'node:crypto';

/** Alpaca's limit on client_order_id. */
const MAX_CLIENT_ORDER_ID = 128;

export interface DecisionIdentity {
  /** Project-relative pipeline file. */
  pipeline: string;
  step: string;
  /** The decision date: the last date of the features. */
  date: string;
  /** Content hash of the model. */
  model: string;
}

export function digest(parts: readonly unknown[], length: number): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, length);
}

/** `tp-<date>-<tic>-<side>-<hash>`: readable in the broker's UI, unique through the hash. */
export function clientOrderId(decision: DecisionIdentity, tic: string, side: 'buy' | 'sell'): string {
  const hash = digest([decision.pipeline, decision.step, decision.date, decision.model, tic, side], 24);
  const readable = `tp-${decision.date}-${tic.slice(0, 40)}-${side}-`;
  return `${readable}${hash}`.slice(0, MAX_CLIENT_ORDER_ID);
}

/** The kill switch's ids: fresh per order (flatten re-reads positions; it never resends an old order). */
export function flattenOrderId(tic: string, side: 'buy' | 'sell', at: Date): string {
  return `tp-flatten-${tic.slice(0, 40)}-${side}-${at.getTime()}`;
}

export const FLATTEN_PREFIX = 'tp-flatten-';
