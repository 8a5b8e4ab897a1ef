/** Baseline policies on markets small enough to compute by hand. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import backtest from '../../steps/backtest/plugin.ts';
import { minVolatilityWeights, returnCovariance } from '../../steps/backtest/min-variance.ts';
import { table, type Table } from '../../engine/table/table.ts';
import { rejects, stepContext, tableInput } from './step-context.ts';

// Two dates, two tickers: A 10 -> 11, B 20 -> 18.
const twoDays = table({
  date: ['2021-01-04', '2021-01-04', '2021-01-05', '2021-01-05'],
  tic: ['A', 'B', 'A', 'B'],
  close: Float64Array.from([10, 20, 11, 18]),
  macd: Float64Array.from([0, 0, 0, 0]),
});
const env = { initial_amount: 1000, buy_cost_pct: 0.01, sell_cost_pct: 0.01, reward_scaling: 1 };

async function run(params: Record<string, unknown>, inputs: Record<string, Table>) {
  const wired = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, tableInput(t)]));
  const out = await backtest.run(stepContext(), { env, tech_indicator_list: ['macd'], ...params }, wired);
  return (out.trajectory as { table: Table }).table;
}
const col = (t: Table, name: string) => Array.from(t.columns[name] as Float64Array);
const near = (actual: number[], wanted: number[], what: string) =>
  wanted.forEach((w, i) => assert.ok(Math.abs(actual[i]! - w) <= 1e-9, `${what}[${i}]: ${actual[i]} vs ${w}`));

test('buy_and_hold: equal weights bought on the first date through the env', async () => {
  const t = await run({ policy: 'buy_and_hold' }, { data: twoDays });
  // Targets: floor(500 / (10 * 1.01)) = 49 A, floor(500 / (20 * 1.01)) = 24 B.
  // Buys largest first: A costs 494.9 (cash 505.1), B costs 484.8 (cash 20.3). Cost 4.9 + 4.8.
  assert.equal(col(t, 'trade_A'), [49, 0]);
  assert.equal(col(t, 'trade_B'), [24, 0]);
  assert.equal(col(t, 'shares_A'), [0, 49]);
  near(col(t, 'cash'), [1000, 20.3], 'cash');
  near(col(t, 'cost'), [9.7, 0], 'cost');
  // Day 2: 20.3 + 49 * 11 + 24 * 18 = 991.3; reward repeated on the terminal row.
  near(col(t, 'account_value'), [1000, 991.3], 'account value');
  near(col(t, 'reward'), [-8.7, -8.7], 'reward');
});

test('index: the benchmark close scaled to initial_amount, from the index input', async () => {
  const dji = table({
    date: ['2021-01-01', '2021-01-04', '2021-01-05'],
    tic: ['^DJI', '^DJI', '^DJI'],
    open: Float64Array.from([1, 1, 1]),
    close: Float64Array.from([90, 100, 105]),
  });
  const t = await run({ policy: 'index' }, { data: twoDays, index: dji });
  near(col(t, 'account_value'), [1000, 1050], 'account value');
  near(col(t, 'reward'), [50, 50], 'reward');
  assert.equal(col(t, 'cash'), [0, 0]);
  assert.equal(col(t, 'trade_A'), [0, 0]);
});

test('index: a ticker of the data itself, and a missing date is named', async () => {
  const t = await run({ policy: { type: 'index', ticker: 'B' } }, { data: twoDays });
  near(col(t, 'account_value'), [1000, 900], 'account value');
  const gappy = table({ date: ['2021-01-04'], tic: ['^DJI'], close: Float64Array.from([100]) });
  await rejects(() => run({ policy: 'index' }, { data: twoDays, index: gappy }), 'index ticker `^DJI` has no positive close on 2021-01-05 in the index table');
});

// Prices chosen so the 3 returns before the test start are A: +10%, -10%, 0 and B: 0, +5%, -5%.
const history = table({
  date: ['d0', 'd0', 'd1', 'd1', 'd2', 'd2', 'd3', 'd3', 'd4', 'd4'],
  tic: ['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B', 'A', 'B'],
  close: Float64Array.from([100, 100, 110, 100, 99, 105, 99, 99.75, 100, 100]),
  macd: new Float64Array(10),
});

test('min_variance: covariance of pct_change returns (ddof 1) and long-only min-variance weights', () => {
  const cov = returnCovariance(history.columns.close as Float64Array, 2, 3, 3);
  // var A = (0.01 + 0.01 + 0) / 2, var B = (0 + 0.0025 + 0.0025) / 2, cov = (0 - 0.005 + 0) / 2.
  near(Array.from(cov), [0.01, -0.0025, -0.0025, 0.0025], 'cov');
  // Two assets: w_A = (var B - cov) / (var A + var B - 2 cov) = 0.005 / 0.0175 = 2/7, cleaned to 5 decimals.
  assert.equal(Array.from(minVolatilityWeights(cov, 2, 1)), [0.28571, 0.71429]);
  assert.equal(Array.from(minVolatilityWeights(cov, 2, 0.6)), [0.4, 0.6], 'the upper bound binds');
});

test('min_variance: rebalances to those weights through the env', async () => {
  const t = await run(
    { policy: { type: 'min_variance', lookback: 3 }, start: 'd3', env: { initial_amount: 100000, buy_cost_pct: 0, sell_cost_pct: 0 } },
    { data: history },
  );
  // V = 100000: A floor(28571 / 99) = 288, B floor(71429 / 99.75) = 716; B bought first (larger).
  assert.equal(t.columns.date, ['d3', 'd4']);
  assert.equal(col(t, 'trade_A'), [288, 0]);
  assert.equal(col(t, 'trade_B'), [716, 0]);
  // Cash 100000 - 71421 - 28512 = 67; then 67 + 288 * 100 + 716 * 100.
  near(col(t, 'account_value'), [100000, 100467], 'account value');
});

test('min_variance: too little history before the test start is an error', async () => {
  await rejects(() => run({ policy: { type: 'min_variance', lookback: 3 }, start: 'd2' }, { data: history }), /min_variance needs 3 dates of prices before the first test date d2; the data has 2/);
});

test('a test period of fewer than 2 dates is refused', async () => {
  await rejects(() => run({ policy: 'buy_and_hold', start: '2021-01-05' }, { data: twoDays }), /holds 1 date of the data \(2021-01-04 to 2021-01-05\); a backtest needs at least 2/);
});

test.run();
