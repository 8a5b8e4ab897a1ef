/**
 * Sending a plan's orders so that nothing is ever sent twice: each order is looked up
 * by its client_order_id first; a POST that got no answer is looked up again before
 * it is retried; a 422 "client_order_id must be unique" means an earlier run sent it.
 * Then the orders are polled until they settle or time runs out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TERMINAL_STATUSES, type Broker, type Order, type OrderRequest } from './broker.ts';

export interface Outcome {
  request: OrderRequest;
  /** The broker's order, when it has one. */
  order?: Order;
  /** True when this run's POST created it (not found from an earlier run). */
  sentNow: boolean;
  /** The broker refused the order (its reason, in its words), or its fate stayed unknown. */
  failure?: { kind: 'refused' | 'unknown'; reason: string };
}

export interface SendOptions {
  /** POST tries for an order whose earlier tries provably did not land. */
  attempts: number;
  retryDelayMs: number;
  signal: AbortSignal;
  log: (message: string) => void;
}

const DUPLICATE_ID = /client_order_id must be unique/i;

export async function sendOrder(broker: Broker, request: OrderRequest, options: SendOptions): Promise<Outcome> {
  const earlier = await broker.orderByClientId(request.clientOrderId);
  if (earlier) return { request, order: earlier, sentNow: false };
  let lastReason = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (attempt > 1) await sleep(options.retryDelayMs * 2 ** (attempt - 2), undefined, { signal: options.signal });
    const submission = await broker.submit(request);
    if (submission.kind === 'accepted') return { request, order: submission.order, sentNow: true };
    if (submission.kind === 'refused') {
      if (submission.status === 422 && DUPLICATE_ID.test(submission.message)) {
        const sent = await broker.orderByClientId(request.clientOrderId);
        return sent ? { request, order: sent, sentNow: false } : { request, sentNow: false, failure: { kind: 'unknown', reason: `the broker says ${request.clientOrderId} was used, but has no order under it` } };
      }
      return { request, sentNow: false, failure: { kind: 'refused', reason: `HTTP ${submission.status}: ${submission.message}` } };
    }
    // No answer: the order may or may not have landed. Only the broker knows.
    lastReason = submission.reason;
    const landed = await broker.orderByClientId(request.clientOrderId);
    if (landed) return { request, order: landed, sentNow: true };
    options.log(`${describe(request)}: POST got no answer (${submission.reason}) and did not land; ${attempt < options.attempts ? 'sending it again' : 'giving up'}`);
  }
  return { request, sentNow: false, failure: { kind: 'unknown', reason: `no answer after ${options.attempts} POST${options.attempts === 1 ? '' : 's'} (${lastReason}), and the broker has no order ${request.clientOrderId}` } };
}

/** Refreshes every order that has not settled, until all have or `timeoutMs` passed. */
export async function pollUntilSettled(broker: Broker, outcomes: Outcome[], options: { intervalMs: number; timeoutMs: number; signal: AbortSignal }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const working = () => outcomes.filter((o) => o.order && !TERMINAL_STATUSES.has(o.order.status));
  while (working().length > 0 && Date.now() < deadline) {
    await sleep(Math.min(options.intervalMs, Math.max(0, deadline - Date.now())), undefined, { signal: options.signal });
    for (const outcome of working()) outcome.order = await broker.order(outcome.order!.id);
  }
}

export function describe(request: OrderRequest): string {
  return `${request.side} ${request.qty} ${request.symbol} (${request.clientOrderId})`;
}
