/**
 * Test and bench helper: small FinRL-format feature tables with seeded prices, and
 * the baselines the learning test compares against. The drift market has a
 * persistent trend: AAA rises, BBB wanders, CCC falls.
 */
import { table, type Table } from '../../engine/table/table.ts';
import { Draws } from '../../steps/lib/random.ts';
import type { StockTradingEnv } from '../../steps/lib/trading-env/index.ts';

export const TICKERS = ['AAA', 'BBB', 'CCC'];
export const DRIFTS = [0.006, 0, -0.006];

export interface MarketOptions {
  readonly tickers: readonly string[];
  /** Mean daily return per ticker. */
  readonly drifts: readonly number[];
  readonly days: number;
  /** Feature columns, filled with standard normal noise (never exactly 1, which FinRL reads as "cannot trade"). */
  readonly indicators: readonly string[];
  readonly seed: number;
}

export function syntheticMarket(o: MarketOptions): Table {
  const draws = new Draws(o.seed, 'synthetic-market');
  const rows = o.days * o.tickers.length;
  const date: string[] = [];
  const tic: string[] = [];
  const close = new Float64Array(rows);
  const features = o.indicators.map(() => new Float64Array(rows));
  const price = o.tickers.map(() => 100);
  for (let d = 0, row = 0; d < o.days; d++) {
    const day = `d${String(d).padStart(5, '0')}`;
    o.tickers.forEach((name, i) => {
      if (d > 0) price[i] = price[i]! * (1 + o.drifts[i]! + 0.004 * draws.normal());
      date.push(day);
      tic.push(name);
      close[row] = price[i]!;
      for (const column of features) column[row] = draws.normal();
      row++;
    });
  }
  return table({ date, tic, close, ...Object.fromEntries(o.indicators.map((name, k) => [name, features[k]!])) });
}

export function driftMarket(days: number, seed: number): Table {
  return syntheticMarket({ tickers: TICKERS, drifts: DRIFTS, days, indicators: ['trend'], seed });
}

/** Sum of rewards over one episode of `act`, from reset to the terminal step. */
export function episodeReturn(env: StockTradingEnv, act: (obs: Float64Array) => Float64Array): number {
  let obs = env.reset();
  let total = 0;
  for (;;) {
    const { reward, terminal } = env.step(act(obs));
    total += reward;
    if (terminal) return total;
    obs = env.state;
  }
}

/** All cash into `ticker` on the first day (whole shares, costs included), then held. */
export function buyAndHoldReturn(env: StockTradingEnv, ticker: number): number {
  env.reset();
  const orders = new Float64Array(env.stockDim);
  const price = env.market.close[ticker]!;
  orders[ticker] = Math.floor(env.cash / (price * (1 + env.buyCost[ticker]!)));
  let total = env.stepShares(orders).reward;
  orders.fill(0);
  for (;;) {
    const { reward, terminal } = env.stepShares(orders);
    total += reward;
    if (terminal) return total;
  }
}
