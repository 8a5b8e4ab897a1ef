/**
 * Turbulence threshold and trade rules on a hand-built market where every number is
 * worked out in the comments. Two tickers, costs 1% to buy and 2% to sell, hmax 10.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { table } from '../../engine/table/table.ts';
import { StockTradingEnv, marketFromTable, parseEnvConfig } from '../../steps/lib/trading-env/index.ts';

const data = table({
  date: ['d0', 'd0', 'd1', 'd1', 'd2', 'd2', 'd3', 'd3'],
  tic: ['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B'],
  close: Float64Array.from([10, 5, 10, 5, 20, 5, 20, 10]),
  x: Float64Array.from([0, 0, 0, 0, 0, 0, 0, 0]),
  // Read from the first ticker of each date; B's values are ignored as in FinRL.
  turbulence: Float64Array.from([0, 999, 100, 0, 50, 999, 0, 0]),
});

function makeEnv(threshold: number | null): StockTradingEnv {
  const config = parseEnvConfig({
    hmax: 10,
    initial_amount: 1000,
    buy_cost_pct: 0.01,
    sell_cost_pct: 0.02,
    reward_scaling: 1,
    turbulence_threshold: threshold,
    tech_indicator_list: ['x'],
  });
  return new StockTradingEnv(marketFromTable(data, { indicators: ['x'], riskColumn: 'turbulence' }), config);
}

test('turbulence at the threshold liquidates everything and blocks buys', () => {
  const env = makeEnv(100);
  // d0 (turbulence 0 after reset): buy 10 + 10. Equal orders: B first (reversed argsort).
  // B: 1000 // 5.05 = 198 >= 10, cash 1000 - 50.5 = 949.5, cost 0.5; A: cash 949.5 - 101 = 848.5, cost 1.5.
  let r = env.step(Float64Array.from([1, 1]));
  assert.equal(Array.from(env.executed), [10, 10]);
  assert.is(env.cash, 848.5);
  assert.is(r.reward, 848.5 + 100 + 50 - 1000); // -1.5
  assert.is(env.turbulence, 100, 'turbulence of d1, read from ticker A');

  // d1: turbulence 100 >= 100: the buy orders are replaced by liquidation.
  // A: +10*10*0.98 = 98, cost 2; B: +5*10*0.98 = 49, cost 1. Cash 995.5.
  r = env.step(Float64Array.from([1, 1]));
  assert.equal(Array.from(env.executed), [-10, -10]);
  assert.equal(Array.from(env.holdings), [0, 0]);
  assert.is(env.cash, 995.5);
  assert.is(r.reward, 995.5 - 998.5);
  assert.is(env.cost, 4.5);
  assert.is(env.trades, 4);

  // d2: turbulence 50 < 100: trade again. Sell B holds nothing (no trade counted);
  // buy 5 A at 20: 995.5 // 20.2 = 49 >= 5, cash 995.5 - 101 = 894.5, cost 1.
  r = env.step(Float64Array.from([0.5, -0.5]));
  assert.equal(Array.from(env.executed), [5, 0]);
  assert.is(env.cash, 894.5);
  assert.is(r.reward, 894.5 + 5 * 20 - 995.5); // -1
  assert.is(env.trades, 5);
  assert.is(env.cost, 5.5);

  // d3: terminal, nothing traded, reward repeated.
  r = env.step(Float64Array.from([1, 1]));
  assert.ok(r.terminal);
  assert.is(r.reward, -1);
  assert.equal(Array.from(env.assetMemory), [1000, 998.5, 995.5, 994.5]);
});

test('just below the threshold nothing is liquidated', () => {
  const env = makeEnv(100.0000001);
  env.step(Float64Array.from([1, 1]));
  env.step(Float64Array.from([0, 0]));
  assert.equal(Array.from(env.executed), [0, 0]);
  assert.equal(Array.from(env.holdings), [10, 10]);
});

test('without a threshold turbulence is never read', () => {
  const env = makeEnv(null);
  env.step(Float64Array.from([1, 1]));
  env.step(Float64Array.from([1, 1]));
  assert.is(env.turbulence, 0);
  assert.equal(Array.from(env.holdings), [20, 20]);
});

test('actions are scaled by hmax and truncated toward zero; sells are capped by holdings', () => {
  const env = makeEnv(null);
  env.step(Float64Array.from([0.99, 0.19])); // 9.9 -> 9, 1.9 -> 1
  assert.equal(Array.from(env.executed), [9, 1]);
  env.step(Float64Array.from([-0.99, -0.55])); // -9, -5 but only 1 B held
  assert.equal(Array.from(env.executed), [-9, -1]);
});

test('buys go largest first and stop when cash runs out', () => {
  const config = parseEnvConfig({ hmax: 100, initial_amount: 100, buy_cost_pct: 0, sell_cost_pct: 0, tech_indicator_list: ['x'] });
  const env = new StockTradingEnv(marketFromTable(data, { indicators: ['x'], riskColumn: null }), config);
  // B (larger order) first: 100 // 5 = 20 -> 20 bought, cash 0; A: 0 // 10 = 0.
  env.step(Float64Array.from([0.3, 0.5]));
  assert.equal(Array.from(env.executed), [0, 20]);
  assert.is(env.trades, 2, 'FinRL counts the buy attempt that found no cash');
});

test("FinRL's first-indicator flag: a value of exactly 1 blocks the ticker's trades", () => {
  const flagged = table({ ...data.columns, x: Float64Array.from([1, 0, 0, 0, 0, 0, 0, 0]) });
  const config = parseEnvConfig({ hmax: 10, tech_indicator_list: ['x'] });
  const env = new StockTradingEnv(marketFromTable(flagged, { indicators: ['x'], riskColumn: null }), config);
  env.step(Float64Array.from([1, 1]));
  assert.equal(Array.from(env.executed), [0, 10]);
});

test('num_stock_shares and per-asset costs are per ticker', () => {
  const config = parseEnvConfig({ hmax: 10, initial_amount: 0, num_stock_shares: [3, 4], buy_cost_pct: [0, 0], sell_cost_pct: [0.5, 0], tech_indicator_list: ['x'] });
  const env = new StockTradingEnv(marketFromTable(data, { indicators: ['x'], riskColumn: null }), config);
  assert.is(env.assetMemory[0], 3 * 10 + 4 * 5);
  env.step(Float64Array.from([-1, -1]));
  assert.is(env.cash, 3 * 10 * 0.5 + 4 * 5);
  assert.is(env.cost, 15);
});

test('NaN actions and bad orders are refused with the ticker and date', () => {
  const env = makeEnv(null);
  assert.throws(() => env.step(Float64Array.from([NaN, 0])), /action 0 \(A\) is NaN on d0/);
  assert.throws(() => env.stepShares(Float64Array.from([1.5, 0])), /order 0 \(A\) must be a whole number of shares, got 1.5/);
});

test('a per-ticker list of the wrong length names the field', () => {
  const config = parseEnvConfig({ buy_cost_pct: [0.1, 0.1, 0.1], tech_indicator_list: ['x'] });
  assert.throws(
    () => new StockTradingEnv(marketFromTable(data, { indicators: ['x'], riskColumn: null }), config),
    /env `buy_cost_pct` lists 3 values but the data has 2 tickers \(A, B\)/,
  );
});

test.run();
