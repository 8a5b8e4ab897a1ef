/** monitor.quality: each check passing and failing, staleness on the NYSE calendar, fail_on. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { table, type Table } from '../../engine/sdk.ts';
import plugin, { type QualityReport } from '../../steps/monitor.quality/plugin.ts';
import { sessions } from '../../steps/monitor.quality/checks.ts';
import type { MonitorQualityParams } from '../../steps/monitor.quality/params.ts';
import { parseDay } from '../../steps/lib/ingest/dates.ts';
import { rejects, stepContext, tableInput } from '../backtest/step-context.ts';

const daily = (): Table =>
  table({
    date: ['2025-07-01', '2025-07-01', '2025-07-02', '2025-07-02', '2025-07-03', '2025-07-03', '2025-07-03'],
    tic: ['AAPL', 'MSFT', 'AAPL', 'MSFT', 'AAPL', 'MSFT', 'MSFT'],
    close: Float64Array.of(210, 490, 212, NaN, 213, 495, -1),
  });

async function run(params: MonitorQualityParams, t = daily()) {
  const ctx = stepContext();
  const out = await plugin.run(ctx, params, { table: tableInput(t) });
  return { ctx, report: (out.report as { value: QualityReport }).value };
}

test('every check reports what it found; failures are tracked as check_failed', async () => {
  const { report, ctx } = await run({
    rows: { min: 10 },
    missing: { max_share: 0.1 },
    ranges: { close: { min: 0 } },
    duplicates: ['date', 'tic'],
    staleness: { as_of: '2025-07-08' },
    tickers: ['AAPL', 'MSFT', 'NVDA'],
  });
  assert.equal(
    report.checks.map((c) => [c.check, c.passed, c.detail]),
    [
      ['rows', false, '7 rows, expected [10, ∞]'],
      ['missing', false, 'missing values: close 14.29% > 10.00%'],
      ['ranges', false, 'out of range: close: 1 below 0, 0 above ∞'],
      ['duplicates', false, '1 rows repeat a (date, tic) key, e.g. date=2025-07-03 tic=MSFT'],
      // July 4th is an NYSE holiday; Monday the 7th is the one session missing.
      ['staleness', false, 'last date 2025-07-03 is stale: 1 NYSE sessions before 2025-07-08 are missing (2025-07-07; allowed 0)'],
      ['tickers', false, 'missing tickers: NVDA'],
    ],
  );
  assert.equal(report.failed, ['rows', 'missing', 'ranges', 'duplicates', 'staleness', 'tickers']);
  assert.is(ctx.metrics.get('check_failed/check:staleness'), 1);
  assert.is(ctx.metrics.get('checks_failed'), 6);
  assert.is(ctx.metrics.get('sessions_behind'), 1);
});

test('passing checks: the last completed session is fresh, holidays and weekends excluded', async () => {
  const { report, ctx } = await run({ rows: { min: 1, max: 7 }, staleness: { as_of: '2025-07-07' }, tickers: ['AAPL'], missing: { per_column: { close: 0.2 } } });
  assert.equal(report.failed, []);
  assert.is(report.checks.find((c) => c.check === 'staleness')!.detail, 'last date 2025-07-03: 0 NYSE sessions behind 2025-07-07 (allowed 0)');
  assert.is(ctx.metrics.get('check_failed/check:rows'), 0);
  const weekdays = await run({ staleness: { as_of: '2025-07-07', calendar: 'weekdays' } });
  assert.equal(weekdays.report.failed, ['staleness']);
});

test('fail_on fails the step naming each failed check; others are reported only', async () => {
  await rejects(
    () => run({ duplicates: ['date', 'tic'], staleness: { as_of: '2025-07-09', max_sessions_behind: 1 }, tickers: ['NVDA'], fail_on: ['staleness', 'duplicates'] }),
    'data quality checks failed: duplicates (1 rows repeat a (date, tic) key, e.g. date=2025-07-03 tic=MSFT); staleness (last date 2025-07-03 is stale: 2 NYSE sessions before 2025-07-09 are missing (2025-07-07, 2025-07-08; allowed 1))',
  );
  const { report } = await run({ tickers: ['NVDA'], fail_on: [] });
  assert.equal(report.failed, ['tickers']);
});

test('params: fail_on an unconfigured check, no check at all, min above max; a missing column names it', async () => {
  assert.equal(plugin.check!({ rows: { min: 5, max: 2 }, fail_on: ['staleness'] }), [
    { path: ['fail_on', 0], message: '`staleness` is not configured: add `staleness:` to check it' },
    { path: ['rows', 'max'], message: 'expected at least min (5), found 2' },
  ]);
  assert.equal(plugin.check!({}), [{ path: [], message: 'no check configured: set at least one of rows, missing, ranges, duplicates, staleness, tickers' }]);
  await rejects(() => run({ ranges: { open: { min: 0 } } }), 'monitor.quality: ranges: the table has no column `open` (columns: date, tic, close)');
  assert.is(plugin.alwaysRun!({ staleness: {} }), true);
  assert.is(plugin.alwaysRun!({ staleness: { as_of: '2025-01-02' } }), false);
});

test('NYSE sessions skip weekends and exchange holidays (Good Friday, Thanksgiving)', () => {
  const days = (a: string, b: string) => sessions('NYSE', parseDay(a)!, parseDay(b)!).length;
  assert.is(days('2025-04-14', '2025-04-21'), 4);
  assert.is(days('2025-11-24', '2025-12-01'), 4);
  assert.is(days('2024-01-01', '2025-01-01'), 252);
  // Unscheduled closures are not in the calendar: 2025-01-09 (a national day of mourning) counts.
  assert.is(days('2025-01-01', '2026-01-01'), 251);
});

test.run();
