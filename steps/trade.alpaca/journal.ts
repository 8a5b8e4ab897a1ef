/** The step's outputs, which are the journal: one row per order of the decision, and the account around it. */
import { orderedTable, type Table } from '../../engine/sdk.ts';
import type { AccountState } from './plan.ts';

export interface OrderRow {
  date: string;
  tic: string;
  side: 'buy' | 'sell';
  qty: number;
  client_order_id: string;
  order_id?: string;
  /** The broker's order status, or ours: `dry_run`, `not_sent` (clipped to 0), `rejected`, `unknown`. */
  status: string;
  filled_qty?: number;
  filled_avg_price?: number;
  /** A clip, the broker's reason for a refusal, or why the outcome is unknown. */
  reason: string;
}

const ORDER_COLUMNS = ['date', 'tic', 'side', 'qty', 'client_order_id', 'order_id', 'status', 'filled_qty', 'filled_avg_price', 'reason'] as const;

export function ordersTable(rows: readonly OrderRow[]): Table {
  const text = (get: (r: OrderRow) => string | undefined) => rows.map((r) => get(r) || null);
  const numbers = (get: (r: OrderRow) => number | undefined) => Float64Array.from(rows, (r) => get(r) ?? NaN);
  return orderedTable(ORDER_COLUMNS, {
    date: text((r) => r.date),
    tic: text((r) => r.tic),
    side: text((r) => r.side),
    qty: numbers((r) => r.qty),
    client_order_id: text((r) => r.client_order_id),
    order_id: text((r) => r.order_id),
    status: text((r) => r.status),
    filled_qty: numbers((r) => r.filled_qty),
    filled_avg_price: numbers((r) => r.filled_avg_price),
    reason: text((r) => r.reason),
  });
}

export function accountJson(before: AccountState, after: AccountState, note?: string): Record<string, unknown> {
  return { ...(note ? { note } : {}), before, after };
}
