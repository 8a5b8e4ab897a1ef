/** The backtest step replaying FinRL's recorded actions reproduces FinRL's trajectory. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import backtest from '../../steps/backtest/plugin.ts';
import type { Table } from '../../engine/table/table.ts';
import { dailyReturns, perfStats, statsToJson } from '../../steps/lib/perf-stats/perf-stats.ts';
import { readCsvTable } from '../env/csv-table.ts';
import { rejects, stepContext, tableInput } from './step-context.ts';

const ENV_FIXTURES = new URL('../fixtures/env/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('env_trajectory.expected.json', ENV_FIXTURES), 'utf8')) as {
  initial_state: number[];
  steps: { action: number[]; state: number[]; reward: number; executed_shares: number[] | null }[];
  asset_memory: number[];
  total_cost: number;
  config: Record<string, unknown>;
};
const data = readCsvTable(new URL('env_input.csv', ENV_FIXTURES).pathname);
const dates = [...new Set(data.columns.date as string[])];
const { tech_indicator_list, ...env } = expected.config as { tech_indicator_list: string[] } & Record<string, unknown>;

function writeActions(dir: string, rows: number[][], header = 'date,AAA,BBB'): void {
  writeFileSync(join(dir, 'actions.csv'), [header, ...rows.map((r, d) => `${dates[d]},${r.join(',')}`)].join('\n') + '\n');
}

async function replay(dir: string) {
  const ctx = stepContext(dir);
  const out = await backtest.run(ctx, { policy: { type: 'actions', path: 'actions.csv' }, env, tech_indicator_list: tech_indicator_list as [string] }, { data: tableInput(data) });
  return { ctx, trajectory: (out.trajectory as { table: Table }).table, stats: (out.stats as { value: unknown }).value };
}

const num = (t: Table, name: string) => t.columns[name] as Float64Array;
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9;

test('replaying the recorded actions reproduces env_trajectory.expected.json', async () => {
  const dir = stepContext().projectRoot;
  writeActions(dir, expected.steps.map((s) => s.action));
  const { trajectory, stats, ctx } = await replay(dir);
  assert.equal(trajectory.names, ['date', 'cash', 'account_value', 'reward', 'cost', 'shares_AAA', 'shares_BBB', 'trade_AAA', 'trade_BBB']);
  assert.equal(trajectory.columns.date, dates);
  const states = [expected.initial_state, ...expected.steps.slice(0, -1).map((s) => s.state)];
  states.forEach((state, d) => {
    assert.ok(close(num(trajectory, 'cash')[d]!, state[0]!), `cash on row ${d}`);
    assert.is(num(trajectory, 'shares_AAA')[d], state[3], `shares_AAA on row ${d}`);
    assert.is(num(trajectory, 'shares_BBB')[d], state[4], `shares_BBB on row ${d}`);
    assert.ok(close(num(trajectory, 'account_value')[d]!, expected.asset_memory[d]!), `account value on row ${d}`);
  });
  expected.steps.forEach((step, d) => {
    assert.ok(close(num(trajectory, 'reward')[d]!, step.reward), `reward on row ${d}`);
    assert.equal([num(trajectory, 'trade_AAA')[d], num(trajectory, 'trade_BBB')[d]], step.executed_shares ?? [0, 0], `trades on row ${d}`);
  });
  const totalCost = num(trajectory, 'cost').reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(totalCost - expected.total_cost) <= 1e-9, `total cost ${totalCost}`);
  assert.equal(stats, statsToJson(perfStats(dailyReturns(Float64Array.from(expected.asset_memory)))));
  assert.is(ctx.metrics.get('final account value'), expected.asset_memory[expected.asset_memory.length - 1]);
});

test('an absolute actions path (data outside the project) is read as is and declared as a dep', async () => {
  const dataDir = stepContext().projectRoot;
  writeActions(dataDir, expected.steps.map((s) => s.action));
  const path = join(dataDir, 'actions.csv');
  const params = { policy: { type: 'actions' as const, path }, env, tech_indicator_list: tech_indicator_list as [string] };
  const out = await backtest.run(stepContext(), params, { data: tableInput(data) });
  assert.equal((out.trajectory as { table: Table }).table, (await replay(dataDir)).trajectory);
  assert.equal(backtest.files!(params), { deps: [path] });
  assert.equal(backtest.files!({ ...params, policy: 'agent', model: '/models/ppo' }), { deps: ['/models/ppo'] });
  assert.equal(backtest.files!({ ...params, policy: 'agent', model: 'models:/finrl_ppo@champion' }), {});
});

test('the last date needs no row; other missing dates are named', async () => {
  const dir = stepContext().projectRoot;
  writeActions(dir, expected.steps.slice(0, -1).map((s) => s.action));
  await replay(dir); // 11 rows for 12 dates: fine
  writeActions(dir, expected.steps.slice(0, 5).map((s) => s.action));
  await rejects(() => replay(dir), 'actions.csv: no actions for 2019-04-03 (every test date but the last needs a row)');
});

test('an action outside [-1, 1] is reported at file:line:col', async () => {
  const dir = stepContext().projectRoot;
  const rows = expected.steps.map((s) => s.action);
  rows[2] = [0.5, 1.5];
  writeActions(dir, rows);
  await rejects(() => replay(dir), 'actions.csv:4:16: action for `BBB` on 2019-03-29 must be a number in [-1, 1], got `1.5`');
});

test('a header naming an unknown ticker is refused', async () => {
  const dir = stepContext().projectRoot;
  writeActions(dir, expected.steps.map((s) => s.action), 'date,AAA,CCC');
  await rejects(() => replay(dir), 'actions.csv:1:10: `CCC` is not a ticker of the data (AAA, BBB)');
});

test('policy agent without a model input says so', async () => {
  await rejects(() => backtest.run(stepContext(), { policy: 'agent', env, tech_indicator_list: tech_indicator_list as [string] }, { data: tableInput(data) }), /^policy `agent` needs a model: connect the `model` input \(a trained agent directory\) or set `model: models:\/<name>@<alias>`; or choose another policy$/);
});

test.run();
