/** StockTradingEnv against FinRL's own trajectory on the shared fixture. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { readCsvTable } from './csv-table.ts';
import { StockTradingEnv, marketFromTable, parseEnvConfig } from '../../steps/lib/trading-env/index.ts';

const FIXTURES = new URL('../fixtures/env/', import.meta.url);
interface ExpectedStep { action: number[]; state: number[]; reward: number; terminal: boolean; executed_shares: number[] | null }
const expected = JSON.parse(readFileSync(new URL('env_trajectory.expected.json', FIXTURES), 'utf8')) as {
  initial_state: number[];
  steps: ExpectedStep[];
  asset_memory: number[];
  total_cost: number;
  total_trades: number;
  config: Record<string, unknown>;
};

function makeEnv(): StockTradingEnv {
  const config = parseEnvConfig(expected.config);
  const data = readCsvTable(new URL('env_input.csv', FIXTURES).pathname);
  const market = marketFromTable(data, { indicators: config.tech_indicator_list, riskColumn: config.risk_indicator_col });
  return new StockTradingEnv(market, config);
}

function assertClose(actual: ArrayLike<number>, wanted: readonly number[], what: string): void {
  assert.is(actual.length, wanted.length, `${what}: length`);
  for (let i = 0; i < wanted.length; i++) {
    const diff = Math.abs(actual[i]! - wanted[i]!);
    assert.ok(diff <= 1e-9, `${what}[${i}]: ${actual[i]} vs ${wanted[i]} (diff ${diff})`);
  }
}

test('dimensions follow FinRL: state_dim = 1 + 2D + K*D', () => {
  const env = makeEnv();
  assert.is(env.stockDim, 2);
  assert.is(env.stateDim, 1 + 2 * 2 + 2 * 2);
  assert.is(env.days, 12);
});

test('reproduces FinRL step by step: executed shares exactly, states and rewards to 1e-9', () => {
  const env = makeEnv();
  assertClose(env.reset(), expected.initial_state, 'initial state');
  expected.steps.forEach((want, n) => {
    const result = env.step(Float64Array.from(want.action));
    assert.is(result.terminal, want.terminal, `step ${n}: terminal`);
    assertClose(env.state, want.state, `step ${n}: state`);
    assert.ok(Math.abs(result.reward - want.reward) <= 1e-9, `step ${n}: reward ${result.reward} vs ${want.reward}`);
    if (want.executed_shares) assert.equal(Array.from(env.executed), want.executed_shares, `step ${n}: executed shares`);
    else assert.equal(Array.from(env.executed), [0, 0], `step ${n}: terminal step trades nothing`);
  });
  assertClose(env.assetMemory, expected.asset_memory, 'asset memory');
  assert.ok(Math.abs(env.cost - expected.total_cost) <= 1e-9, `total cost ${env.cost} vs ${expected.total_cost}`);
  assert.is(env.trades, expected.total_trades);
});

test('the terminal step repeats the last reward and keeps repeating it', () => {
  const env = makeEnv();
  env.reset();
  const zero = new Float64Array(2);
  let last = 0;
  for (let d = 0; d < env.days - 1; d++) last = env.step(Float64Array.from(expected.steps[d]!.action)).reward;
  const stateBefore = Float64Array.from(env.state);
  for (let k = 0; k < 2; k++) {
    const r = env.step(zero);
    assert.ok(r.terminal);
    assert.is(r.reward, last);
  }
  assert.equal(Array.from(env.state), Array.from(stateBefore));
});

test('reset restores the initial state and clears the memories', () => {
  const env = makeEnv();
  env.reset();
  for (let d = 0; d < 5; d++) env.step(Float64Array.from(expected.steps[d]!.action));
  const state = env.reset();
  assert.is(state, env.state, 'reset returns the state buffer');
  assertClose(state, expected.initial_state, 'state after reset');
  assert.is(env.day, 0);
  assert.is(env.cost, 0);
  assert.is(env.trades, 0);
  const again = env.step(Float64Array.from(expected.steps[0]!.action));
  assert.ok(Math.abs(again.reward - expected.steps[0]!.reward) <= 1e-9);
});

test('a caller-provided state buffer receives the observations', () => {
  const config = parseEnvConfig(expected.config);
  const market = marketFromTable(readCsvTable(new URL('env_input.csv', FIXTURES).pathname), {
    indicators: config.tech_indicator_list,
    riskColumn: null,
  });
  const batch = new Float64Array(2 * 9);
  const a = new StockTradingEnv(market, config, { state: batch.subarray(0, 9) });
  const b = new StockTradingEnv(market, config, { state: batch.subarray(9, 18) });
  a.step(Float64Array.from([0.5, 0]));
  assertClose(batch.subarray(9, 18), expected.initial_state, 'second env untouched');
  assert.is(batch[3], 50, 'first env bought 50 AAA');
  assert.is(b.day, 0);
});

test.run();
