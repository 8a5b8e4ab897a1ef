/** The backtest.stats step on FinRL's account value fixture. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import stats from '../../steps/backtest.stats/plugin.ts';
import { table } from '../../engine/table/table.ts';
import { readCsvTable } from '../env/csv-table.ts';
import { rejects, stepContext, tableInput } from './step-context.ts';

const FIXTURES = new URL('../fixtures/backtest/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('backtest_stats.expected.json', FIXTURES), 'utf8')) as Record<string, number | null>;

test('stats of account_value.csv match pyfolio, NaN as null, finite ones tracked as metrics', async () => {
  const ctx = stepContext();
  const out = await stats.run(ctx, {}, { table: tableInput(readCsvTable(new URL('account_value.csv', FIXTURES).pathname)) });
  const value = (out.stats as { kind: string; value: Record<string, number | null> }).value;
  for (const [name, want] of Object.entries(expected)) {
    if (want === null) assert.is(value[name], null, name);
    else assert.ok(Math.abs(value[name]! - want) <= 1e-9, `${name}: ${value[name]} vs ${want}`);
  }
  assert.is(ctx.metrics.size, 11, 'Skew and Kurtosis are NaN, so not tracked');
  assert.is(ctx.metrics.get('Sharpe ratio'), value['Sharpe ratio']!);
});

test('another value column, and clear errors for a missing column or unsorted dates', async () => {
  const t = table({ date: ['a', 'b', 'c'], equity: Float64Array.from([100, 110, 99]) });
  const out = await stats.run(stepContext(), { value_column: 'equity' }, { table: tableInput(t) });
  assert.ok(Math.abs((out.stats as { value: Record<string, number> }).value['Cumulative returns']! - -0.01) < 1e-15);
  await rejects(() => stats.run(stepContext(), {}, { table: tableInput(t) }), 'table needs a numeric `account_value` column (columns: date, equity)');
  const unsorted = table({ date: ['b', 'a'], account_value: Float64Array.from([1, 2]) });
  await rejects(() => stats.run(stepContext(), {}, { table: tableInput(unsorted) }), 'table must be in date order: row 2 has date a after b');
});

test.run();
