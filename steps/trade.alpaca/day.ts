/**
 * One trading day: the broker's account, the decision (made once per decision date and
 * recorded before anything is sent), then the orders, sells before buys.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Artifact, InputArtifact, StepContext } from '../../engine/sdk.ts';
import { loadAgent, type LoadedAgent } from '../lib/agent/load.ts';
import { dateInZone, parseDay } from '../lib/ingest/dates.ts';
import { marketFromTable, parseEnvConfig, type EnvConfig, type Market } from '../lib/trading-env/index.ts';
import type { Broker } from './broker.ts';
import { decide } from './decision.ts';
import { accountJson, ordersTable } from './journal.ts';
import { clientOrderId, type DecisionIdentity } from './order-id.ts';
import { readAccount, OrderRun, type Settings } from './orders.ts';
import { planPath, readPlan, writePlan, type AccountState, type Plan } from './plan.ts';
import type { TradeAlpacaParams } from './params.ts';

export type DayParams = Settings & Required<Pick<TradeAlpacaParams, 'dry_run'>> & TradeAlpacaParams;

export async function tradeDay(ctx: StepContext, broker: Broker, params: DayParams, inputs: Record<string, InputArtifact>): Promise<Record<string, Artifact>> {
  if (!inputs.features) throw new Error('trade.alpaca needs the `features` input (FinRL long format) to decide; only `flatten: true` runs without it');
  const modelDir = params.model ?? inputs.model?.path;
  if (!modelDir) throw new Error('trade.alpaca needs a model: connect the `model` input (a trained agent directory) or set `model: models:/<name>@<alias>`');
  const config = parseEnvConfig(params.tech_indicator_list ? { ...params.env, tech_indicator_list: params.tech_indicator_list } : params.env, 'trade.alpaca param `env`');
  const market = marketFromTable(await inputs.features.table(), {
    indicators: config.tech_indicator_list,
    riskColumn: config.turbulence_threshold === null ? null : config.risk_indicator_col,
  });
  const agent = await loadAgent(modelDir);
  try {
    checkAgentFits(agent, market, config);
    const date = market.dates[market.dates.length - 1]!;
    const identity: DecisionIdentity = { pipeline: ctx.run?.pipeline ?? '', step: ctx.stepId, date, model: await modelHash(modelDir) };

    const clock = await broker.clock();
    const today = dateInZone(Date.parse(clock.timestamp), 'America/New_York');
    const age = parseDay(today)! - parseDay(date)!;
    // A weekend and a holiday fit in 4 days; more means the bars stopped coming.
    if (age > 4) ctx.log.warn(`the features end on ${date}, ${age} days before today (${today}): stale data? The decision is the one for ${date}`);
    if (!clock.isOpen && !params.dry_run) {
      const why = `market closed; next open ${clock.nextOpen}`;
      ctx.log.info(`${why}: no orders`);
      const before = (await readAccount(broker)).state;
      return { orders: { kind: 'table', table: ordersTable([]) }, account: { kind: 'json', value: accountJson(before, before, why) } };
    }
    const { accountNumber, state: before } = await readAccount(broker);
    ctx.track.metric('equity', before.equity);
    const decideNow = () => decision(ctx, market, config, agent, identity, before, params);
    const run = new OrderRun(ctx, broker, params);

    if (params.dry_run) {
      for (const o of decideNow().orders) run.record({ date, ...o, status: 'dry_run' });
      return run.finish(before, 'dry run: nothing sent');
    }

    if (!ctx.stateDir) throw new Error('trade.alpaca needs a state folder (ctx.stateDir) to record its decision before sending: run it through the engine');
    const path = planPath(ctx.stateDir, identity, accountNumber);
    let plan = await readPlan(path);
    if (plan) {
      ctx.log.info(`the decision for ${date} was made at ${plan.decided_at}: sending what the broker does not have yet`);
    } else {
      plan = decideNow();
      // Before the first order leaves: a crash from here on resumes this very decision.
      await writePlan(path, plan);
    }
    // As in FinRL, sells first: the buys were sized with their proceeds, which the broker counts once they fill.
    for (const side of ['sell', 'buy'] as const) {
      for (const o of plan.orders.filter((p) => p.side === side)) {
        if (o.reason) ctx.log.warn(`${o.side} ${o.tic}: ${o.reason}`);
        if (o.qty > 0) await run.send({ date, ...o });
        else run.record({ date, ...o, status: 'not_sent' });
      }
      if (side === 'sell') await run.settle();
    }
    return run.finish(plan.account_before);
  } finally {
    agent.dispose();
  }
}

function decision(ctx: StepContext, market: Market, config: EnvConfig, agent: LoadedAgent, identity: DecisionIdentity, before: AccountState, params: DayParams): Plan {
  const shares = Float64Array.from(market.tickers, (tic) => before.positions[tic] ?? 0);
  const limits = { maxOrderNotional: params.max_order_notional, maxPositionWeight: params.max_position_weight };
  const made = decide(market, config, (s) => agent.act(s), { cash: before.cash, equity: before.equity, shares }, limits);
  if (made.liquidate) ctx.log.warn(`turbulence ${made.turbulence} on ${made.date} is at or above the threshold ${config.turbulence_threshold}: selling everything, buying nothing`);
  return {
    date: made.date,
    decided_at: new Date().toISOString(),
    model: identity.model,
    turbulence: made.turbulence,
    liquidate: made.liquidate,
    account_before: before,
    orders: made.trades.map((t) => ({ tic: t.tic, side: t.side, qty: t.qty, client_order_id: clientOrderId(identity, t.tic, t.side), reason: t.clip })),
  };
}

/** A model trained on other tickers or indicators would send orders to the wrong names. */
function checkAgentFits(agent: LoadedAgent, market: Market, config: EnvConfig): void {
  const trained = agent.policy;
  if (trained.tickers.join() !== market.tickers.join()) {
    throw new Error(`the model trades ${trained.tickers.join(', ')} but the features hold ${market.tickers.join(', ')}: orders would go to the wrong tickers`);
  }
  if (trained.tech_indicator_list.join() !== config.tech_indicator_list.join()) {
    throw new Error(`the model was trained on indicators ${trained.tech_indicator_list.join(', ')}, the step uses ${config.tech_indicator_list.join(', ')}`);
  }
}

/** The model's version in order ids: a hash of its files, so a new champion is a new decision. */
async function modelHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['policy.json', 'weights.bin']) hash.update(await readFile(join(dir, file)));
  return hash.digest('hex').slice(0, 16);
}
