/** FinRL's preprocess_data end to end, and its clean / vix / ffill-bfill rules on hand-made tables. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { table, type Table } from '../../engine/table/table.ts';
import { FINRL_INDICATORS, parseIndicator } from '../../steps/lib/indicators/catalog.ts';
import { engineerFeatures, type FeatureOptions } from '../../steps/lib/indicators/feature-engineer.ts';
import { EXACT, firstMismatch, fixtureTable, numbers } from './fixtures.ts';

const OFF: FeatureOptions = { indicators: [], clean: false, vixTic: '^VIX', turbulence: false, turbulenceLookback: 252, fillMissing: false };
const specs = (...names: string[]) => names.map((n) => parseIndicator(n)!);

function prices(rows: [string, string, number, number?][]): Table {
  return table({
    date: rows.map((r) => r[0]),
    tic: rows.map((r) => r[1]),
    high: Float64Array.from(rows, (r) => r[3] ?? r[2] + 1),
    low: Float64Array.from(rows, (r) => r[2] - 1),
    close: Float64Array.from(rows, (r) => r[2]),
  });
}

test('FinRL FeatureEngineer(use_vix, use_turbulence).preprocess_data, column for column, to 1e-9', () => {
  const expected = fixtureTable('preprocess.expected.csv');
  const { table: actual, droppedTickers } = engineerFeatures(fixtureTable('preprocess-prices.csv'), {
    ...OFF,
    indicators: specs(...FINRL_INDICATORS),
    clean: true,
    vix: fixtureTable('preprocess-vix.csv'),
    turbulence: true,
    fillMissing: true,
  });
  assert.equal(droppedTickers, ['GAP']);
  assert.equal(actual.names, expected.names);
  assert.equal(actual.columns.date, expected.columns.date);
  assert.equal(actual.columns.tic, expected.columns.tic);
  for (const name of expected.names.slice(2)) {
    const mismatch = firstMismatch(numbers(actual, name), numbers(expected, name), EXACT);
    assert.is(mismatch, undefined, `${name}: ${mismatch}`);
  }
});

test('clean drops every ticker missing a date or holding a NaN close', () => {
  const input = prices([
    ['2020-01-01', 'A', 10], ['2020-01-01', 'B', 20], ['2020-01-01', 'C', 30],
    ['2020-01-02', 'A', 11], ['2020-01-02', 'C', 31],
    ['2020-01-03', 'A', 12], ['2020-01-03', 'B', 22], ['2020-01-03', 'C', NaN],
  ]);
  const cleaned = engineerFeatures(input, { ...OFF, clean: true });
  assert.equal(cleaned.droppedTickers, ['B', 'C']);
  assert.equal(cleaned.table.columns.tic, ['A', 'A', 'A']);
  assert.equal([...numbers(cleaned.table, 'close')], [10, 11, 12]);
  assert.is(engineerFeatures(input, OFF).table.rows, 8);
  assert.throws(
    () => engineerFeatures(prices([['2020-01-01', 'A', NaN], ['2020-01-02', 'B', 1]]), { ...OFF, clean: true }),
    /^clean: every ticker misses a close on at least one of the 2 dates; nothing is left$/,
  );
});

test('ffill then bfill run down the whole (date, tic) table, across tickers, as FinRL does', () => {
  const input = prices([
    ['2020-01-01', 'A', 10], ['2020-01-01', 'B', 20],
    ['2020-01-02', 'A', 12], ['2020-01-02', 'B', 19, NaN],
    ['2020-01-03', 'A', 15], ['2020-01-03', 'B', 19],
  ]);
  const raw = engineerFeatures(input, { ...OFF, indicators: specs('close_2_mstd') }).table;
  assert.equal([...numbers(raw, 'close_2_mstd')], [NaN, NaN, Math.SQRT2, Math.sqrt(0.5), Math.sqrt(4.5), 0]);
  const filled = engineerFeatures(input, { ...OFF, indicators: specs('close_2_mstd'), fillMissing: true }).table;
  // each ticker's first row has no std; bfill takes the next value in the table, which is A's
  assert.equal([...numbers(filled, 'close_2_mstd')], [Math.SQRT2, Math.SQRT2, Math.SQRT2, Math.sqrt(0.5), Math.sqrt(4.5), 0]);
  // input columns are filled too: B's missing high takes A's high of the same date
  assert.equal([...numbers(filled, 'high')], [11, 21, 13, 13, 16, 20]);
});

test('vix: the close of ^VIX merged on date (left merge); a date without a quote is NaN until ffill', () => {
  const input = prices([['2020-01-01', 'A', 10], ['2020-01-01', 'B', 20], ['2020-01-02', 'A', 11], ['2020-01-02', 'B', 21]]);
  const vix = prices([['2019-12-31', '^VIX', 15], ['2020-01-01', 'SPY', 300], ['2020-01-01', '^VIX', 16], ['2020-01-03', '^VIX', 18]]);
  const raw = engineerFeatures(input, { ...OFF, vix }).table;
  assert.equal(raw.names, ['date', 'tic', 'high', 'low', 'close', 'vix']);
  assert.equal([...numbers(raw, 'vix')], [16, 16, NaN, NaN]);
  assert.equal([...numbers(engineerFeatures(input, { ...OFF, vix, fillMissing: true }).table, 'vix')], [16, 16, 16, 16]);
  assert.throws(() => engineerFeatures(input, { ...OFF, vix, vixTic: 'VIX' }), /^input `vix`: no rows for tic `VIX` \(found: \^VIX, SPY\)$/);
  const twice = prices([['2020-01-01', '^VIX', 16], ['2020-01-01', '^VIX', 17]]);
  assert.throws(() => engineerFeatures(input, { ...OFF, vix: twice }), /^input `vix`: two rows for `\^VIX` on 2020-01-01$/);
});

test('rows come out sorted by date then tic whatever the input order; indicators follow their ticker', () => {
  const sorted = prices([['2020-01-01', 'A', 10], ['2020-01-01', 'B', 20], ['2020-01-02', 'A', 12], ['2020-01-02', 'B', 18], ['2020-01-03', 'A', 13], ['2020-01-03', 'B', 17]]);
  const order = [5, 2, 0, 3, 1, 4];
  const shuffled = table({
    date: order.map((i) => (sorted.columns.date as string[])[i]!),
    tic: order.map((i) => (sorted.columns.tic as string[])[i]!),
    high: Float64Array.from(order, (i) => numbers(sorted, 'high')[i]!),
    low: Float64Array.from(order, (i) => numbers(sorted, 'low')[i]!),
    close: Float64Array.from(order, (i) => numbers(sorted, 'close')[i]!),
  });
  const options = { ...OFF, indicators: specs('rsi_2', 'close_2_ema', 'atr_2') };
  const a = engineerFeatures(sorted, options).table;
  const b = engineerFeatures(shuffled, options).table;
  for (const name of a.names) assert.equal(b.columns[name], a.columns[name], name);
});

test('bad input: one message naming the port, the column or the rows', () => {
  const dup = prices([['2020-01-01', 'A', 10], ['2020-01-01', 'B', 20], ['2020-01-01', 'A', 11]]);
  assert.throws(() => engineerFeatures(dup, OFF), /^input `prices`: duplicate row for tic `A` on 2020-01-01 \(rows 1 and 3\)$/);
  const closeOnly = table({ date: ['2020-01-01'], tic: ['A'], close: new Float64Array([1]) });
  assert.throws(
    () => engineerFeatures(closeOnly, { ...OFF, indicators: specs('macd', 'dx_30', 'wr_10') }),
    /^input `prices`: missing column `high` \(needed by `dx_30`, `wr_10`; columns: date, tic, close\)$/,
  );
  const withMacd = table({ date: ['2020-01-01'], tic: ['A'], close: new Float64Array([1]), macd: new Float64Array([0]) });
  assert.throws(() => engineerFeatures(withMacd, { ...OFF, indicators: specs('macd') }), /^input `prices` already has a column `macd`, which this step adds$/);
  const textClose = table({ date: ['2020-01-01'], tic: ['A'], close: ['1.5'] });
  assert.throws(() => engineerFeatures(textClose, OFF), /^input `prices`: column `close` must hold numbers, found strings$/);
  const noTic = table({ date: ['2020-01-01'], tic: [null], close: new Float64Array([1]) });
  assert.throws(() => engineerFeatures(noTic, OFF), /^input `prices`: column `tic` is empty at row 1$/);
});

test.run();
