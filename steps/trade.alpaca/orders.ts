/**
 * One run's orders from request to journal: send each (idempotently, send.ts), let
 * them settle, fill the journal rows from the broker's answers, track, and fail the
 * step when any was refused, after all the others went out.
 */
import type { Artifact, StepContext } from '../../engine/sdk.ts';
import { TERMINAL_STATUSES, type Broker } from './broker.ts';
import { accountJson, ordersTable, type OrderRow } from './journal.ts';
import type { AccountState } from './plan.ts';
import { describe, pollUntilSettled, sendOrder, type Outcome } from './send.ts';
import type { TradeAlpacaParams } from './params.ts';
import { trackTradingMetrics } from './trading-metrics.ts';

export type Settings = Required<Pick<TradeAlpacaParams, 'attempts' | 'retry_delay_ms' | 'poll_interval_ms' | 'poll_timeout_s' | 'order_type' | 'time_in_force'>>;

/** The account as the broker reports it now; its number only keys the decision record, it is never journalled. */
export async function readAccount(broker: Broker): Promise<{ accountNumber: string; state: AccountState }> {
  const account = await broker.account();
  const positions = await broker.positions();
  const state = {
    cash: account.cash,
    equity: account.equity,
    buying_power: account.buyingPower,
    positions: Object.fromEntries(positions.filter((p) => p.qty !== 0).map((p) => [p.symbol, p.qty])),
  };
  return { accountNumber: account.accountNumber, state };
}

export class OrderRun {
  readonly rows: OrderRow[] = [];
  private readonly sent: { row: OrderRow; outcome: Outcome }[] = [];

  constructor(
    private readonly ctx: StepContext,
    private readonly broker: Broker,
    private readonly settings: Settings,
  ) {}

  /** A journal row for an order that is not sent (clipped to nothing, or a dry run). */
  record(row: OrderRow): void {
    this.rows.push(row);
  }

  async send(order: Omit<OrderRow, 'status'>): Promise<void> {
    const { ctx, settings } = this;
    const request = { symbol: order.tic, side: order.side, qty: order.qty, type: settings.order_type, timeInForce: settings.time_in_force, clientOrderId: order.client_order_id };
    const outcome = await sendOrder(this.broker, request, { attempts: settings.attempts, retryDelayMs: settings.retry_delay_ms, signal: ctx.signal, log: (m) => ctx.log.warn(m) });
    ctx.log.info(`${describe(request)}: ${outcome.failure ? `${outcome.failure.kind}: ${outcome.failure.reason}` : outcome.sentNow ? 'sent' : 'already at the broker'}`);
    const row: OrderRow = { ...order, status: 'unknown' };
    this.rows.push(row);
    this.sent.push({ row, outcome });
  }

  /** Polls what was sent until it settles or poll_timeout_s passes. */
  settle(): Promise<void> {
    const timeoutMs = this.settings.poll_timeout_s * 1000;
    return pollUntilSettled(this.broker, this.sent.map((s) => s.outcome), { intervalMs: this.settings.poll_interval_ms, timeoutMs, signal: this.ctx.signal });
  }

  /** Settles, journals and tracks; throws when an order was refused or its fate is unknown. */
  async finish(before: AccountState, note?: string): Promise<Record<string, Artifact>> {
    const { ctx } = this;
    await this.settle();
    for (const { row, outcome } of this.sent) {
      if (outcome.order) {
        row.order_id = outcome.order.id;
        row.status = outcome.order.status;
        row.filled_qty = outcome.order.filledQty;
        row.filled_avg_price = outcome.order.filledAvgPrice;
        if (outcome.order.status === 'rejected') row.reason = join(row.reason, 'rejected by the broker');
      }
      if (outcome.failure) {
        row.status = outcome.failure.kind === 'refused' ? 'rejected' : 'unknown';
        row.reason = join(row.reason, outcome.failure.reason);
      }
    }
    const after = this.sent.length === 0 ? before : (await readAccount(this.broker)).state;
    const failed = this.rows.filter((r) => r.status === 'rejected' || r.status === 'unknown');
    ctx.track.metric('orders sent', this.sent.filter((s) => s.outcome.sentNow).length);
    await trackTradingMetrics(ctx, after.equity, this.rows);
    if (failed.length > 0) {
      throw new Error(`${failed.length} order${failed.length === 1 ? '' : 's'} failed: ${failed.map((r) => `${r.side} ${r.qty} ${r.tic}: ${r.reason}`).join('; ')}`);
    }
    const working = this.rows.filter((r) => r.order_id && !TERMINAL_STATUSES.has(r.status));
    if (working.length > 0) {
      ctx.log.warn(`${working.length} order${working.length === 1 ? ' is' : 's are'} still working after ${this.settings.poll_timeout_s} s: ${working.map((r) => `${r.tic} ${r.status}`).join(', ')}`);
    }
    return { orders: { kind: 'table', table: ordersTable(this.rows) }, account: { kind: 'json', value: accountJson(before, after, note) } };
  }
}

function join(...reasons: string[]): string {
  return reasons.filter(Boolean).join('; ');
}
