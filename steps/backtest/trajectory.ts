/**
 * The backtest's trajectory table: one row per test date. Row d holds the account as
 * the policy saw it on date d (cash, shares, account value = FinRL's asset memory), then
 * what it did on that date (executed shares, cost paid, reward of that step; the last
 * date's step is FinRL's terminal one: no trades, previous reward repeated).
 */
import { type Column, table, type Table } from '../../engine/sdk.ts';
import type { StockTradingEnv } from '../lib/trading-env/index.ts';
import type { Policy } from './policy.ts';

export interface Trajectory {
  readonly dates: readonly string[];
  readonly tickers: readonly string[];
  readonly cash: Float64Array;
  readonly accountValue: Float64Array;
  readonly reward: Float64Array;
  readonly cost: Float64Array;
  /** shares[i][d], trades[i][d]. */
  readonly shares: Float64Array[];
  readonly trades: Float64Array[];
}

export function emptyTrajectory(dates: readonly string[], tickers: readonly string[]): Trajectory {
  const T = dates.length;
  return {
    dates,
    tickers,
    cash: new Float64Array(T),
    accountValue: new Float64Array(T),
    reward: new Float64Array(T),
    cost: new Float64Array(T),
    shares: tickers.map(() => new Float64Array(T)),
    trades: tickers.map(() => new Float64Array(T)),
  };
}

/** Runs `policy` from reset to the terminal step, recording every date. */
export function simulate(env: StockTradingEnv, policy: Policy, onProgress?: (fraction: number) => void): Trajectory {
  const out = emptyTrajectory(env.market.dates, env.market.tickers);
  env.reset();
  for (let d = 0; d < env.days; d++) {
    out.cash[d] = env.cash;
    out.accountValue[d] = env.assetMemory[d]!;
    for (let i = 0; i < env.stockDim; i++) out.shares[i]![d] = env.holdings[i]!;
    const result = policy.step(env);
    out.reward[d] = result.reward;
    out.cost[d] = env.stepCost;
    for (let i = 0; i < env.stockDim; i++) out.trades[i]![d] = env.executed[i]!;
    if (onProgress && d % 64 === 0) onProgress(d / env.days);
  }
  return out;
}

export function trajectoryTable(t: Trajectory): Table {
  const columns: Record<string, Column> = {
    date: [...t.dates],
    cash: t.cash,
    account_value: t.accountValue,
    reward: t.reward,
    cost: t.cost,
  };
  t.tickers.forEach((tic, i) => (columns[`shares_${tic}`] = t.shares[i]!));
  t.tickers.forEach((tic, i) => (columns[`trade_${tic}`] = t.trades[i]!));
  return table(columns);
}
