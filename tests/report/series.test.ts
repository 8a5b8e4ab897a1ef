import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../engine/table/csv.ts';
import { dailyReturns } from '../../steps/lib/perf-stats/perf-stats.ts';
import { drawdown, rollingSharpe } from '../../steps/report/series.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'report');

function golden(name: string) {
  const t = parseCsv(readFileSync(join(FIXTURES, `${name}.expected.csv`), 'utf8'), { file: `${name}.expected.csv` });
  const column = (c: string) => t.columns[c] as Float64Array;
  return { values: column('account_value'), drawdown: column('drawdown'), rollingSharpe: column('rolling_sharpe') };
}

/** Equal to pandas' value within float rounding; NaN exactly where pandas has NaN. */
function assertSeries(actual: Float64Array, expected: Float64Array, what: string) {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
    else assert.ok(Math.abs(a - e) <= 1e-12 * Math.max(1, Math.abs(e)), `${what}[${i}]: expected ${e}, got ${a}`);
  }
}

for (const name of ['account_value', 'flat_start']) {
  test(`drawdown equals pyfolio's underwater series (${name})`, () => {
    const g = golden(name);
    assertSeries(drawdown(g.values), g.drawdown, 'drawdown');
  });

  test(`rolling Sharpe (63 days) equals pyfolio's rolling_sharpe (${name})`, () => {
    const g = golden(name);
    assertSeries(rollingSharpe(dailyReturns(g.values), 63), g.rollingSharpe, 'rolling Sharpe');
  });
}

test('rolling Sharpe: first value once 63 returns exist, the leading NaN return counting as missing', () => {
  const g = golden('account_value');
  const sharpe = rollingSharpe(dailyReturns(g.values), 63);
  assert.ok(Number.isNaN(sharpe[62]!));
  assert.ok(Number.isFinite(sharpe[63]!));
});

test('rolling Sharpe: a flat window is NaN (0/0), a window of equal non-zero returns infinite, as pandas gives', () => {
  const flat = rollingSharpe(new Float64Array([NaN, 0, 0, 0]), 3);
  assert.ok(Number.isNaN(flat[3]!));
  const constant = rollingSharpe(new Float64Array([NaN, 0.01, 0.01, 0.01, -0.01]), 3);
  assert.is(constant[3], Infinity);
  assert.ok(Number.isFinite(constant[4]!));
});

test('drawdown is 0 at each new peak and negative below it', () => {
  assert.equal(Array.from(drawdown([100, 110, 99, 121])), [0, 0, 99 / 110 - 1, 0]);
});

test.run();
