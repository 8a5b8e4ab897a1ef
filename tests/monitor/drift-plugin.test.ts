/** monitor.drift as a step: groups, fail_on_drift, tracked metrics, the table output, bad input. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { table, type Table } from '../../engine/sdk.ts';
import plugin, { type DriftReport } from '../../steps/monitor.drift/plugin.ts';
import type { MonitorDriftParams } from '../../steps/monitor.drift/params.ts';
import { rejects, stepContext, tableInput } from '../backtest/step-context.ts';

/** Two tickers; `moved` shifts AAPL's close in the current window. */
function prices(rows: number, moved: boolean, offset = 0): Table {
  const tic: string[] = [];
  const date: string[] = [];
  const close: number[] = [];
  const volume: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (const t of ['AAPL', 'MSFT']) {
      tic.push(t);
      date.push(`2024-01-${String((i % 28) + 1).padStart(2, '0')}`);
      const base = t === 'AAPL' ? 100 : 300;
      close.push(base + ((i * 7919 + offset) % 97) / 10 + (moved && t === 'AAPL' ? 25 : 0));
      volume.push(1000 + ((i * 104729 + offset) % 89));
    }
  }
  return table({ date, tic, close: Float64Array.from(close), volume: Float64Array.from(volume) });
}

async function run(params: MonitorDriftParams, reference: Table, current: Table) {
  const ctx = stepContext();
  const out = await plugin.run(ctx, params, { reference: tableInput(reference), current: tableInput(current) });
  return { ctx, report: (out.report as { value: DriftReport }).value, table: (out.table as { table: Table }).table };
}

test('group_by: one verdict per ticker beside the overall one; date and tic are not compared', async () => {
  const { report, table: t, ctx } = await run({ group_by: 'tic' }, prices(200, false), prices(150, true, 3));
  assert.equal(report.columns.map((c) => [c.column, c.method]), [['close', 'ks'], ['volume', 'ks']]);
  assert.equal(report.groups!.map((g) => [g.group, g.dataset_drift, g.columns.filter((c) => c.drifted).map((c) => c.column)]), [
    ['AAPL', true, ['close']],
    ['MSFT', false, []],
  ]);
  assert.equal(report.unmatched_groups, { reference_only: [], current_only: [] });
  assert.is(t.rows, 6);
  assert.equal(t.columns.group, [null, null, 'AAPL', 'AAPL', 'MSFT', 'MSFT']);
  assert.is(ctx.metrics.get('column_drifted/group:AAPL/column:close'), 1);
  assert.is(ctx.metrics.get('column_drifted/group:MSFT/column:close'), 0);
  assert.is(ctx.metrics.get('share/group:AAPL'), 0.5);
  assert.is(ctx.metrics.get('dataset_drifted'), report.dataset_drift ? 1 : 0);
});

test('fail_on_drift: a drifted dataset fails the step naming the drifted columns', async () => {
  await rejects(
    () => run({ group_by: 'tic', fail_on_drift: true, drift_share: 0.5 }, prices(200, false), prices(150, true, 3)),
    'data drift detected: overall (share 0.50 >= 0.5): close; tic=AAPL (share 0.50): close',
  );
  const same = await run({ fail_on_drift: true }, prices(200, false), prices(200, false));
  assert.is(same.report.dataset_drift, false);
});

test('text columns are left out with the reason; a listed one is an error; categorical makes it comparable', async () => {
  const ref = table({ id: Array.from({ length: 50 }, (_, i) => `r${i}`), x: Float64Array.from({ length: 50 }, (_, i) => i) });
  const cur = table({ id: Array.from({ length: 50 }, (_, i) => `c${i}`), x: Float64Array.from({ length: 50 }, (_, i) => i + 0.5) });
  const { report } = await run({}, ref, cur);
  assert.equal(report.skipped.map((s) => s.column), ['id']);
  await rejects(() => run({ columns: ['id'] }, ref, cur), /^monitor\.drift: column `id`: text: more than half/);
  const cat = await run({ categorical: ['id'] }, ref, cur);
  assert.equal(cat.report.columns.map((c) => [c.column, c.type, c.method]), [['id', 'cat', 'chisquare'], ['x', 'num', 'ks']]);
});

test('bad input names the column: missing column, empty column, a method for the wrong type', async () => {
  const ref = table({ x: Float64Array.of(1, 2, 3, 4), s: ['a', 'b', 'a', 'b'] });
  const cur = table({ x: Float64Array.of(NaN, NaN, NaN, NaN), s: ['a', 'a', 'b', 'b'] });
  await rejects(() => run({ columns: ['y'] }, ref, cur), 'monitor.drift: column `y` is not in the current table (columns: x, s)');
  await rejects(() => run({ columns: ['x'] }, ref, cur), 'monitor.drift: column `x` has no values in the current table');
  await rejects(() => run({ columns: ['s'], method: 'ks' }, ref, ref), 'monitor.drift: column `s` is categorical: method `ks` applies to numerical columns only');
  assert.equal(plugin.check!({ columns: ['x'], per_column: { y: { method: 'psi' } } }), [{ path: ['per_column', 'y'], message: '`y` is not in `columns` (x)' }]);
});

test.run();
