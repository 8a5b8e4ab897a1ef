/**
 * Test helper: synthetic backtest inputs for the report. The agent's account value is the
 * FinRL fixture series (so its pyfolio stats are the golden ones); positions, baselines
 * and the training curve are seeded random walks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../engine/table/csv.ts';
import { table, type Column, type Table } from '../../engine/table/table.ts';
import { Draws } from '../../steps/lib/random.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
export const TICKERS = ['AAPL', 'MSFT', 'JPM', 'XOM'];

export function fixtureAccount(): { dates: string[]; values: Float64Array } {
  const t = parseCsv(readFileSync(join(FIXTURES, 'report', 'account_value.csv'), 'utf8'), { file: 'account_value.csv' });
  return { dates: t.columns.date as string[], values: t.columns.account_value as Float64Array };
}

/** pyfolio perf_stats of the fixture account value (Skew and Kurtosis are null). */
export function fixtureStats(): Record<string, number | null> {
  return JSON.parse(readFileSync(join(FIXTURES, 'backtest', 'backtest_stats.expected.json'), 'utf8'));
}

/** A trajectory shaped like `backtest`'s: date, cash, account_value, reward, cost, shares_<tic>, trade_<tic>. */
export function agentTrajectory(): Table {
  const { dates, values } = fixtureAccount();
  const draws = new Draws(7, 'positions');
  const columns: Record<string, Column> = {
    date: dates,
    cash: values.map((v) => v * 0.1),
    account_value: values,
    reward: values.map((v, i) => (i + 1 < values.length ? (values[i + 1]! - v) * 1e-4 : 0)),
    cost: values.map(() => 0),
  };
  for (const tic of TICKERS) {
    const shares = new Float64Array(dates.length);
    let held = Math.floor(draws.uniform() * 800);
    for (let d = 0; d < dates.length; d++) {
      if (d % 15 === 0) held = Math.max(0, held + Math.round(draws.normal() * 150));
      shares[d] = held;
    }
    columns[`shares_${tic}`] = shares;
  }
  for (const tic of TICKERS) {
    const shares = columns[`shares_${tic}`] as Float64Array;
    columns[`trade_${tic}`] = shares.map((s, d) => (d + 1 < shares.length ? shares[d + 1]! - s : 0));
  }
  return table(columns);
}

/** A baseline's trajectory over the agent's dates: a random walk from 1,000,000. */
export function baselineTrajectory(name: string, drift: number, volatility: number): Table {
  const { dates } = fixtureAccount();
  const draws = new Draws(11, name);
  const values = new Float64Array(dates.length);
  values[0] = 1_000_000;
  for (let d = 1; d < dates.length; d++) values[d] = values[d - 1]! * (1 + drift + volatility * draws.normal());
  return table({ date: [...dates], account_value: values });
}

/** Like rl.ppo's curve: SB3 logger keys without prefix; some metrics start only after the first update. */
export function trainingCurveTable(): Table {
  const draws = new Draws(3, 'curve');
  const rows = 40;
  const timesteps = Float64Array.from({ length: rows }, (_, i) => (i + 1) * 2048);
  const noisy = (f: (i: number) => number, sd: number) => Float64Array.from({ length: rows }, (_, i) => f(i) + sd * draws.normal());
  const fromSecond = (column: Float64Array) => column.map((v, i) => (i === 0 ? NaN : v));
  return table({
    total_timesteps: timesteps,
    ep_rew_mean: noisy((i) => -20 + 40 * (1 - Math.exp(-i / 10)), 2),
    value_loss: fromSecond(noisy((i) => 80 * Math.exp(-i / 12) + 5, 2)),
    approx_kl: fromSecond(noisy(() => 0.012, 0.003)),
    entropy_loss: fromSecond(noisy((i) => -5.7 + i * 0.01, 0.02)),
    explained_variance: fromSecond(noisy((i) => 1 - Math.exp(-i / 8), 0.03)),
    learning_rate: timesteps.map(() => 3e-4),
    unused: timesteps.map(() => NaN),
  });
}
