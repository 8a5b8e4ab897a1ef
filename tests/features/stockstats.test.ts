/**
 * Indicator values against stockstats 0.6.8, per ticker (goldens: tests/fixtures/features/README.md).
 * Compared through engineerFeatures with clean and fill off, i.e. the raw per-ticker values.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Table } from '../../engine/table/table.ts';
import { parseIndicator } from '../../steps/lib/indicators/catalog.ts';
import { engineerFeatures } from '../../steps/lib/indicators/feature-engineer.ts';
import { EXACT, firstMismatch, fixtureTable, numbers } from './fixtures.ts';

function rawIndicators(prices: Table, names: readonly string[]): Table {
  const indicators = names.map((name) => parseIndicator(name)!);
  return engineerFeatures(prices, { indicators, clean: false, vixTic: '^VIX', turbulence: false, turbulenceLookback: 252, fillMissing: false }).table;
}

function assertMatches(pricesFile: string, expectedFile: string, tol: { abs: number; rel: number }): void {
  const expected = fixtureTable(expectedFile);
  const names = expected.names.filter((n) => n !== 'date' && n !== 'tic');
  const actual = rawIndicators(fixtureTable(pricesFile), names);
  assert.equal(actual.columns.date, expected.columns.date);
  assert.equal(actual.columns.tic, expected.columns.tic);
  for (const name of names) {
    const mismatch = firstMismatch(numbers(actual, name), numbers(expected, name), tol);
    assert.is(mismatch, undefined, `${name}: ${mismatch}`);
  }
}

test('all 47 supported names on the FinRL fixture prices, to 1e-9', () => {
  assert.is(fixtureTable('indicators.expected.csv').names.length - 2, 47);
  assertMatches('ohlcv.csv', 'indicators.expected.csv', EXACT);
});

test('guards: short series, flat runs, zero-range bars, a missing high and low, to 1e-9', () => {
  assertMatches('edge-ohlcv.csv', 'edge-indicators.expected.csv', EXACT);
});

test('an amount column makes the typical price amount/volume, as in stockstats', () => {
  assertMatches('edge-amount-ohlcv.csv', 'edge-amount-indicators.expected.csv', EXACT);
});

test('the shared FinRL fixture (prices at 17 significant digits), to 1e-9', () => {
  assertMatches('ohlcv.csv', 'finrl-indicators.expected.csv', EXACT);
});

test('NaN only where stockstats has NaN: Bollinger bands on each ticker\'s first row', () => {
  const actual = rawIndicators(fixtureTable('ohlcv.csv'), ['boll_ub', 'boll_lb', 'macd']);
  const nanRows = (name: string) => [...numbers(actual, name)].flatMap((v, i) => (Number.isNaN(v) ? [i] : []));
  assert.equal(nanRows('boll_ub'), [0, 1, 2]);
  assert.equal(nanRows('boll_lb'), [0, 1, 2]);
  assert.equal(nanRows('macd'), []);
});

test.run();
