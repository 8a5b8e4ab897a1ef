/**
 * `trade.alpaca`: one trading day of a trained agent on an Alpaca account. The
 * decision is FinRL's, made from the broker's cash and shares on the last date of the
 * features through the environment's own trade rules; sending is idempotent per
 * decision (write-ahead plan + deterministic client_order_ids), so a rerun, a crash or
 * a lost answer never doubles an order. `flatten: true` is the kill switch.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, type InputArtifact, type ParamIssue, type StepContext } from '../../engine/sdk.ts';
import { loadAgent } from '../lib/agent/load.ts';
import { dateInZone } from '../lib/ingest/dates.ts';
import { marketFromTable, parseEnvConfig, withEnvConfigSchema } from '../lib/trading-env/index.ts';
import { alpacaBroker, LIVE_ORIGIN, PAPER_ORIGIN, type Account, type Broker, type Position } from './broker.ts';
import { decide } from './decision.ts';
import { accountJson, ordersTable, type OrderRow } from './journal.ts';
import { clientOrderId, FLATTEN_PREFIX, flattenOrderId, type DecisionIdentity } from './order-id.ts';
import { planPath, readPlan, writePlan, type AccountState, type Plan } from './plan.ts';
import { describe, pollUntilSettled, sendOrder, type Outcome, type SendOptions } from './send.ts';
import type { TradeAlpacaParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

type Params = Required<Pick<TradeAlpacaParams, 'mode' | 'confirm_live' | 'dry_run' | 'flatten' | 'time_in_force' | 'order_type' | 'attempts' | 'retry_delay_ms' | 'request_timeout_ms' | 'poll_interval_ms' | 'poll_timeout_s'>> &
  TradeAlpacaParams;

const NEW_YORK = 'America/New_York';

/** Refuses an endpoint that is the other mode's Alpaca API: paper never reaches real money, live never a paper account by mistake. */
function endpointIssue(mode: 'paper' | 'live', endpoint: string): string | undefined {
  const origin = endpoint.replace(/\/+$/, '');
  if (mode === 'paper' && origin === LIVE_ORIGIN) return `mode paper refuses Alpaca's live endpoint ${LIVE_ORIGIN}; set \`mode: live\` and \`confirm_live: true\` to trade real money`;
  if (mode === 'live' && origin === PAPER_ORIGIN) return `mode live refuses Alpaca's paper endpoint ${PAPER_ORIGIN}; use \`mode: paper\` for paper trading`;
  return undefined;
}

function liveIssues(params: TradeAlpacaParams): ParamIssue[] {
  const issues: ParamIssue[] = [];
  if (params.mode === 'live' && params.confirm_live !== true) issues.push({ path: ['confirm_live'], message: '`mode: live` trades real money and needs `confirm_live: true`' });
  const wrong = params.endpoint === undefined ? undefined : endpointIssue(params.mode ?? 'paper', params.endpoint);
  if (wrong) issues.push({ path: ['endpoint'], message: wrong });
  return issues;
}

export default definePlugin<TradeAlpacaParams>({
  name: 'trade.alpaca',
  version: '1',
  description: "Send one day's decision of a trained agent to an Alpaca (paper) account, idempotently; or flatten every position (kill switch).",
  paramsSchema: withEnvConfigSchema(schema),
  inputs: {
    features: { description: 'Feature table in FinRL long format; the decision uses its last date.', optional: true },
    model: { description: 'Trained agent directory (or set `model: models:/<name>@<alias>`).', optional: true },
  },
  outputs: {
    orders: { description: 'date, tic, side, qty, client_order_id, order_id, status, filled_qty, filled_avg_price, reason.' },
    account: { description: 'Cash, equity and positions before and after.' },
  },
  env: ['APCA_API_BASE_URL'],
  // The broker's account changes outside the pipeline.
  alwaysRun: () => true,
  check: liveIssues,
  async run(ctx, rawParams, inputs) {
    const params = rawParams as Params;
    const endpoint = (params.endpoint ?? ctx.env.APCA_API_BASE_URL ?? (params.mode === 'live' ? LIVE_ORIGIN : PAPER_ORIGIN)).replace(/\/+$/, '');
    const issue = liveIssues({ ...params, endpoint })[0];
    if (issue) throw new Error(`trade.alpaca: ${issue.message}`);
    ctx.log.info(`${params.mode} trading at ${endpoint}${params.dry_run ? ' (dry run: nothing is sent)' : ''}`);
    const broker = await alpacaBroker(ctx, {
      endpoint,
      live: params.mode === 'live',
      attempts: params.attempts,
      retry_delay_ms: params.retry_delay_ms,
      request_timeout_ms: params.request_timeout_ms,
    });
    return params.flatten ? flatten(ctx, broker, params) : trade(ctx, broker, params, inputs);
  },
});

async function trade(ctx: StepContext, broker: Broker, params: Params, inputs: Record<string, InputArtifact>) {
  if (!inputs.features) throw new Error('trade.alpaca needs the `features` input (FinRL long format) to decide; only `flatten: true` runs without it');
  const modelDir = params.model ?? inputs.model?.path;
  if (!modelDir) throw new Error('trade.alpaca needs a model: connect the `model` input (a trained agent directory) or set `model: models:/<name>@<alias>`');
  const config = parseEnvConfig(params.tech_indicator_list ? { ...params.env, tech_indicator_list: params.tech_indicator_list } : params.env, 'trade.alpaca param `env`');
  const market = marketFromTable(await inputs.features.table(), {
    indicators: config.tech_indicator_list,
    riskColumn: config.turbulence_threshold === null ? null : config.risk_indicator_col,
  });
  const date = market.dates[market.dates.length - 1]!;
  const agent = await loadAgent(modelDir);
  try {
    const trained = agent.policy;
    if (trained.tickers.join() !== market.tickers.join()) {
      throw new Error(`the model trades ${trained.tickers.join(', ')} but the features hold ${market.tickers.join(', ')}: orders would go to the wrong tickers`);
    }
    if (trained.tech_indicator_list.join() !== config.tech_indicator_list.join()) {
      throw new Error(`the model was trained on indicators ${trained.tech_indicator_list.join(', ')}, the step uses ${config.tech_indicator_list.join(', ')}`);
    }
    const identity: DecisionIdentity = { pipeline: ctx.run?.pipeline ?? '', step: ctx.stepId, date, model: await modelHash(modelDir) };

    const clock = await broker.clock();
    if (!clock.isOpen && !params.dry_run) {
      ctx.log.info(`market closed; next open ${clock.nextOpen}: no orders`);
      const before = await accountState(broker);
      return { orders: { kind: 'table' as const, table: ordersTable([]) }, account: { kind: 'json' as const, value: accountJson(before, before, `market closed; next open ${clock.nextOpen}`) } };
    }
    const account = await broker.account();
    const before = state(account, await broker.positions());
    ctx.track.metric('equity', before.equity);

    const decideNow = (): Plan => {
      const shares = Float64Array.from(market.tickers, (tic) => before.positions[tic] ?? 0);
      const decision = decide(market, config, (s) => agent.act(s), { cash: before.cash, equity: before.equity, shares }, {
        maxOrderNotional: params.max_order_notional,
        maxPositionWeight: params.max_position_weight,
      });
      if (decision.liquidate) ctx.log.warn(`turbulence ${decision.turbulence} on ${date} is at or above the threshold ${config.turbulence_threshold}: selling everything, buying nothing`);
      return {
        date,
        decided_at: new Date().toISOString(),
        model: identity.model,
        turbulence: decision.turbulence,
        liquidate: decision.liquidate,
        account_before: before,
        orders: decision.trades.map((t) => ({ tic: t.tic, side: t.side, qty: t.qty, client_order_id: clientOrderId(identity, t.tic, t.side), reason: t.clip })),
      };
    };

    if (params.dry_run) {
      const plan = decideNow();
      const rows = plan.orders.map((o): OrderRow => ({ date, ...o, status: 'dry_run' }));
      trackRows(ctx, rows);
      return { orders: { kind: 'table' as const, table: ordersTable(rows) }, account: { kind: 'json' as const, value: accountJson(before, before, 'dry run: nothing sent') } };
    }

    if (!ctx.stateDir) throw new Error('trade.alpaca needs a state folder (ctx.stateDir) to record its decision before sending: run it through the engine');
    const path = planPath(ctx.stateDir, identity, account.accountNumber);
    let plan = await readPlan(path);
    if (plan) {
      ctx.log.info(`the decision for ${date} was made at ${plan.decided_at}: sending what the broker does not have yet`);
    } else {
      plan = decideNow();
      // Before the first order leaves: a crash from here on resumes this very decision.
      await writePlan(path, plan);
    }
    for (const o of plan.orders) if (o.reason) ctx.log.warn(`${o.side} ${o.tic}: ${o.reason}`);

    const send: SendOptions = { attempts: params.attempts, retryDelayMs: params.retry_delay_ms, signal: ctx.signal, log: (m) => ctx.log.warn(m) };
    const rows: OrderRow[] = [];
    const outcomes: { row: OrderRow; outcome: Outcome }[] = [];
    // As in FinRL, sells first: the buys were sized with their proceeds, which the broker only counts once they fill.
    for (const side of ['sell', 'buy'] as const) {
      for (const o of plan.orders.filter((p) => p.side === side)) {
        if (o.qty <= 0) {
          rows.push({ date, ...o, status: 'not_sent' });
          continue;
        }
        const request = { symbol: o.tic, side: o.side, qty: o.qty, type: params.order_type, timeInForce: params.time_in_force, clientOrderId: o.client_order_id };
        const outcome = await sendOrder(broker, request, send);
        ctx.log.info(`${describe(request)}: ${outcome.failure ? `${outcome.failure.kind}: ${outcome.failure.reason}` : outcome.sentNow ? 'sent' : 'already at the broker'}`);
        const row: OrderRow = { date, ...o, status: 'unknown' };
        rows.push(row);
        outcomes.push({ row, outcome });
      }
      if (side === 'sell') await settle(broker, params, ctx.signal, outcomes);
    }
    return finish(ctx, broker, params, plan.account_before, outcomes, rows);
  } finally {
    agent.dispose();
  }
}

/** The kill switch: cancel working orders, then close every position with market orders. */
async function flatten(ctx: StepContext, broker: Broker, params: Params) {
  const clock = await broker.clock();
  const date = dateInZone(Date.parse(clock.timestamp), NEW_YORK);
  const before = await accountState(broker);
  const open = await broker.openOrders();
  // An earlier flatten's orders stay: cancelling one that is filling and sending it again could overshoot.
  const closing = new Map<string, number>();
  for (const o of open) {
    if (o.clientOrderId.startsWith(FLATTEN_PREFIX)) {
      closing.set(o.symbol, (closing.get(o.symbol) ?? 0) + (o.side === 'sell' ? 1 : -1) * (o.qty - o.filledQty));
    } else {
      await broker.cancel(o.id);
      ctx.log.info(`cancelled ${o.side} ${o.qty} ${o.symbol} (${o.clientOrderId})`);
    }
  }
  if (!clock.isOpen) ctx.log.warn(`market closed; the closing orders wait for the next open (${clock.nextOpen})`);
  const send: SendOptions = { attempts: params.attempts, retryDelayMs: params.retry_delay_ms, signal: ctx.signal, log: (m) => ctx.log.warn(m) };
  const outcomes: { row: OrderRow; outcome: Outcome }[] = [];
  const rows: OrderRow[] = [];
  const at = new Date();
  for (const [symbol, qty] of Object.entries(before.positions)) {
    const remaining = qty - (closing.get(symbol) ?? 0);
    if (remaining === 0) continue;
    const side = remaining > 0 ? 'sell' : 'buy';
    const request = { symbol, side, qty: Math.abs(remaining), type: params.order_type, timeInForce: params.time_in_force, clientOrderId: flattenOrderId(symbol, side, at) } as const;
    const outcome = await sendOrder(broker, request, send);
    ctx.log.info(`flatten: ${describe(request)}: ${outcome.failure ? `${outcome.failure.kind}: ${outcome.failure.reason}` : 'sent'}`);
    const row: OrderRow = { date, tic: symbol, side, qty: request.qty, client_order_id: request.clientOrderId, status: 'unknown', reason: 'flatten' };
    rows.push(row);
    outcomes.push({ row, outcome });
  }
  return finish(ctx, broker, params, before, outcomes, rows);
}

/** Polls what was sent, reads the account again, fills in the rows, tracks, and fails the step on any refused order. */
function settle(broker: Broker, params: Params, signal: AbortSignal, outcomes: readonly { outcome: Outcome }[]): Promise<void> {
  return pollUntilSettled(
    broker,
    outcomes.map((o) => o.outcome),
    { intervalMs: params.poll_interval_ms, timeoutMs: params.poll_timeout_s * 1000, signal },
  );
}

async function finish(ctx: StepContext, broker: Broker, params: Params, before: AccountState, outcomes: { row: OrderRow; outcome: Outcome }[], rows: OrderRow[]) {
  await settle(broker, params, ctx.signal, outcomes);
  for (const { row, outcome } of outcomes) {
    if (outcome.order) {
      row.order_id = outcome.order.id;
      row.status = outcome.order.status;
      row.filled_qty = outcome.order.filledQty;
      row.filled_avg_price = outcome.order.filledAvgPrice;
    }
    if (outcome.failure) {
      row.status = outcome.failure.kind === 'refused' ? 'rejected' : 'unknown';
      row.reason = [row.reason, outcome.failure.reason].filter(Boolean).join('; ');
    }
    if (outcome.order?.status === 'rejected') row.reason = [row.reason, 'rejected by the broker'].filter(Boolean).join('; ');
  }
  const after = await accountState(broker);
  trackRows(ctx, rows, outcomes.filter((o) => o.outcome.sentNow).length);
  ctx.track.metric('equity after', after.equity);
  const refused = rows.filter((r) => r.status === 'rejected' || r.status === 'unknown');
  if (refused.length > 0) {
    throw new Error(`${refused.length} order${refused.length === 1 ? '' : 's'} failed: ${refused.map((r) => `${r.side} ${r.qty} ${r.tic}: ${r.reason}`).join('; ')}`);
  }
  const working = rows.filter((r) => r.order_id && !['filled', 'canceled', 'expired', 'done_for_day'].includes(r.status));
  if (working.length > 0) ctx.log.warn(`${working.length} order${working.length === 1 ? ' is' : 's are'} still working after ${params.poll_timeout_s} s: ${working.map((r) => `${r.tic} ${r.status}`).join(', ')}`);
  return { orders: { kind: 'table' as const, table: ordersTable(rows) }, account: { kind: 'json' as const, value: accountJson(before, after) } };
}

function trackRows(ctx: StepContext, rows: readonly OrderRow[], sent = 0): void {
  ctx.track.metric('orders sent', sent);
  ctx.track.metric('orders filled', rows.filter((r) => r.status === 'filled').length);
  ctx.track.metric('orders rejected', rows.filter((r) => r.status === 'rejected' || r.status === 'unknown').length);
  ctx.track.metric('orders clipped', rows.filter((r) => r.reason?.startsWith('clipped')).length);
}

function state(account: Account, positions: readonly Position[]): AccountState {
  return {
    cash: account.cash,
    equity: account.equity,
    buying_power: account.buyingPower,
    positions: Object.fromEntries(positions.filter((p) => p.qty !== 0).map((p) => [p.symbol, p.qty])),
  };
}

async function accountState(broker: Broker): Promise<AccountState> {
  return state(await broker.account(), await broker.positions());
}

/** The model's version in order ids: a hash of its files, so a new champion is a new decision. */
async function modelHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['policy.json', 'weights.bin']) hash.update(await readFile(join(dir, file)));
  return hash.digest('hex').slice(0, 16);
}
