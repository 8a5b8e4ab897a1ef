/** Building the per-day matrices from a FinRL long-format table, and the messages for bad tables. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { table } from '../../engine/table/table.ts';
import { marketFromTable, sliceMarket } from '../../steps/lib/trading-env/index.ts';

const base = {
  date: ['d0', 'd0', 'd1', 'd1'],
  tic: ['A', 'B', 'A', 'B'],
  close: Float64Array.from([1, 2, 3, 4]),
  f: Float64Array.from([10, 20, 30, 40]),
  g: Float64Array.from([-1, -2, -3, -4]),
  turbulence: Float64Array.from([0, 9, 7, 9]),
};

test('close, indicator-major features and the first ticker turbulence per date', () => {
  const m = marketFromTable(table(base), { indicators: ['f', 'g'], riskColumn: 'turbulence' });
  assert.equal(m.dates, ['d0', 'd1']);
  assert.equal(m.tickers, ['A', 'B']);
  assert.equal(Array.from(m.close), [1, 2, 3, 4]);
  assert.equal(Array.from(m.features), [10, 20, -1, -2, 30, 40, -3, -4]);
  assert.equal(Array.from(m.turbulence!), [0, 7]);
  const last = sliceMarket(m, 1, 2);
  assert.equal(last.dates, ['d1']);
  assert.equal(Array.from(last.features), [30, 40, -3, -4]);
});

const bad = (columns: Record<string, unknown>, pattern: RegExp) =>
  assert.throws(() => marketFromTable(table({ ...base, ...columns } as never), { indicators: ['f'], riskColumn: null }), pattern);

test('tables FinRL could not use are refused with the row and the reason', () => {
  bad({ tic: ['B', 'A', 'A', 'B'] }, /sorted by date then tic: on d0 `A` follows `B`/);
  bad({ tic: ['A', 'B', 'A', 'C'] }, /row 4 is \(d1, C\), expected \(d1, B\): every date needs the same tickers/);
  bad({ date: ['d1', 'd1', 'd0', 'd0'] }, /row 3 has date d0 after d1/);
  bad({ close: Float64Array.from([1, 0, 3, 4]) }, /row 2 \(d0, B\): close must be a positive number, got 0/);
  bad({ f: ['x', 'y', 'z', 'w'] }, /column `f` must hold numbers, found strings/);
  assert.throws(() => marketFromTable(table(base), { indicators: ['macd'], riskColumn: null }), /feature table has no column `macd` \(columns: date, tic, close, f, g, turbulence\)/);
  assert.throws(
    () => marketFromTable(table({ ...base, date: ['d0', 'd0', 'd1'], tic: ['A', 'B', 'A'], close: Float64Array.from([1, 2, 3]), f: Float64Array.from([1, 2, 3]), g: Float64Array.from([1, 2, 3]), turbulence: Float64Array.from([1, 2, 3]) }), { indicators: ['f'], riskColumn: null }),
    /3 rows, not a multiple of the 2 tickers of d0/,
  );
});

test.run();
