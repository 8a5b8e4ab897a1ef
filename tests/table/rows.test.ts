import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { column, intColumn, numberColumn, selectRows, sortBy, stringColumn, toJsonRows } from '../../engine/table/rows.ts';
import { orderedTable, table } from '../../engine/table/table.ts';
import { spelled } from './helpers.ts';

const prices = () =>
  table({
    date: ['2020-01-03', '2020-01-02', '2020-01-03', '2020-01-02', null],
    tic: ['BBB', 'BBB', 'AAA', 'AAA', 'AAA'],
    close: new Float64Array([4, 2, 3, NaN, 5]),
    shares: new Int32Array([40, 20, 30, 10, 50]),
  });

test('typed column getters', () => {
  const t = prices();
  assert.equal(stringColumn(t, 'tic'), ['BBB', 'BBB', 'AAA', 'AAA', 'AAA']);
  assert.equal(spelled(numberColumn(t, 'close')), ['4', '2', '3', 'NaN', '5']);
  assert.equal(numberColumn(t, 'shares'), new Float64Array([40, 20, 30, 10, 50]), 'int columns read as numbers');
  assert.equal(intColumn(t, 'shares'), new Int32Array([40, 20, 30, 10, 50]));
  assert.is(column(t, 'close'), t.columns.close);
});

test('a missing column names the columns there are; a wrong type says what it holds', () => {
  const t = prices();
  assert.throws(() => numberColumn(t, 'volume'), (e: Error) => e.message === 'table has no column `volume` (columns: date, tic, close, shares)');
  assert.throws(() => column(table({}), 'x'), (e: Error) => e.message === 'table has no column `x` (columns: none)');
  assert.throws(() => column(t, 'toString'), (e: Error) => e.message.startsWith('table has no column `toString`'));
  assert.throws(() => numberColumn(t, 'tic'), (e: Error) => e.message === 'column `tic` holds string values, expected number');
  assert.throws(() => intColumn(t, 'close'), (e: Error) => e.message === 'column `close` holds number values, expected int');
  assert.throws(() => stringColumn(t, 'shares'), (e: Error) => e.message === 'column `shares` holds int values, expected string');
});

test('selectRows picks rows in the given order, repeats allowed', () => {
  const picked = selectRows(prices(), [4, 0, 0]);
  assert.equal(picked.names, ['date', 'tic', 'close', 'shares']);
  assert.equal(picked.columns.date, [null, '2020-01-03', '2020-01-03']);
  assert.equal(picked.columns.close, new Float64Array([5, 4, 4]));
  assert.equal(picked.columns.shares, new Int32Array([50, 40, 40]));
  assert.throws(() => selectRows(prices(), [5]), (e: Error) => e.message === 'row index 5 is out of range for a table of 5 rows');
});

test('sortBy sorts by each key in turn, stably, missing values last', () => {
  const byDateTic = sortBy(prices(), ['date', 'tic']);
  assert.equal(byDateTic.columns.date, ['2020-01-02', '2020-01-02', '2020-01-03', '2020-01-03', null]);
  assert.equal(byDateTic.columns.tic, ['AAA', 'BBB', 'AAA', 'BBB', 'AAA']);
  assert.equal(byDateTic.columns.shares, new Int32Array([10, 20, 30, 40, 50]));
  const byClose = sortBy(prices(), ['close']);
  assert.equal(spelled(byClose.columns.close), ['2', '3', '4', '5', 'NaN']);
  const stable = sortBy(prices(), ['tic']);
  assert.equal(stable.columns.shares, new Int32Array([30, 10, 50, 40, 20]));
});

test('toJsonRows: one object per row, NaN and infinities as null', () => {
  const t = orderedTable(['d', 'x', 'n'], { d: ['a', null], x: new Float64Array([NaN, -Infinity]), n: new Int32Array([1, 2]) });
  assert.equal(toJsonRows(t), [
    { d: 'a', x: null, n: 1 },
    { d: null, x: null, n: 2 },
  ]);
});

test.run();
