import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import plugin from '../../steps/ingest.ohlcv/plugin.ts';
import { REGIMES, simulateMarket, simulateStock } from '../../steps/ingest.ohlcv/synthetic.ts';
import { toCsv } from '../../engine/table/csv.ts';
import { toParquet } from '../../engine/table/parquet.ts';
import { numberColumn, stringColumn, intColumn } from '../../engine/table/rows.ts';
import type { Table } from '../../engine/table/table.ts';
import { rejection, runTable } from './harness.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'ingest');

const synthetic = (params: Record<string, unknown>) =>
  runTable(plugin, { source: 'synthetic', start: '2020-01-01', end: '2020-12-31', seed: 7, ...params }, { port: 'prices' });

function closesOf(t: Table, tic: string): number[] {
  const tics = stringColumn(t, 'tic');
  const close = numberColumn(t, 'close');
  return tics.flatMap((x, i) => (x === tic ? [close[i]!] : []));
}

test('the same seed gives the same bytes; another seed other prices', async () => {
  const params = { tickers: ['AAA', 'BBB', '^VIX', '^DJI'] };
  const a = toParquet(await synthetic(params));
  const b = toParquet(await synthetic(params));
  assert.equal(Buffer.compare(Buffer.from(a), Buffer.from(b)), 0);
  const other = await synthetic({ ...params, seed: 8 });
  assert.not.equal(closesOf(other, 'AAA'), closesOf(await synthetic(params), 'AAA'));
});

test('golden output for seed 7 (regression: the generator must not drift between versions)', async () => {
  const t = await runTable(plugin, { source: 'synthetic', tickers: ['BBB', 'AAA', '^VIX', '^DJI'], start: '2020-01-01', end: '2020-01-15', seed: 7 }, { port: 'prices' });
  assert.is(toCsv(t), readFileSync(join(FIXTURES, 'synthetic_seed7.csv'), 'utf8'));
});

test('FinRL long format: business days only, sorted by date then tic, day = weekday (0 = Monday)', async () => {
  const t = await synthetic({ tickers: ['BBB', 'AAA', '^VIX'], start: '2020-01-03', end: '2020-01-08' });
  assert.equal(t.names, ['date', 'tic', 'open', 'high', 'low', 'close', 'volume', 'day']);
  assert.equal(stringColumn(t, 'date'), ['2020-01-03', '2020-01-03', '2020-01-03', '2020-01-06', '2020-01-06', '2020-01-06', '2020-01-07', '2020-01-07', '2020-01-07']);
  assert.equal(stringColumn(t, 'tic').slice(0, 3), ['AAA', 'BBB', '^VIX']);
  assert.equal([...intColumn(t, 'day')], [4, 4, 4, 0, 0, 0, 1, 1, 1]);
});

test('bars are consistent: low <= open, close <= high; volume a non-negative integer', async () => {
  const t = await synthetic({ tickers: ['AAA', 'BBB', 'CCC', '^VIX', '^DJI'], start: '2015-01-01', end: '2020-01-01' });
  const [open, high, low, close, volume] = ['open', 'high', 'low', 'close', 'volume'].map((c) => numberColumn(t, c));
  for (let i = 0; i < t.rows; i++) {
    const ok = low![i]! <= Math.min(open![i]!, close![i]!) && high![i]! >= Math.max(open![i]!, close![i]!) && low![i]! > 0;
    if (!ok) assert.unreachable(`row ${i} is inconsistent: ${open![i]} ${high![i]} ${low![i]} ${close![i]}`);
    if (!(Number.isInteger(volume![i]) && volume![i]! >= 0)) assert.unreachable(`row ${i}: volume ${volume![i]}`);
  }
  // Yahoo reports no volume for ^VIX; stocks and indexes trade.
  const tics = stringColumn(t, 'tic');
  assert.ok(tics.every((tic, i) => (tic === '^VIX' ? volume![i] === 0 : volume![i]! > 0)));
});

test('a ticker does not depend on the others requested; the same start gives the same prefix', async () => {
  const alone = closesOf(await synthetic({ tickers: ['AAA'] }), 'AAA');
  const together = closesOf(await synthetic({ tickers: ['ZZZ', 'AAA', '^VIX'] }), 'AAA');
  assert.equal(alone, together);
  const shorter = closesOf(await synthetic({ tickers: ['AAA'], end: '2020-06-01' }), 'AAA');
  assert.equal(shorter, alone.slice(0, shorter.length));
});

test('an index fetched on its own agrees with the market factor the stocks load on', async () => {
  const dji = closesOf(await synthetic({ tickers: ['^DJI'] }), '^DJI');
  const market = simulateMarket(7, dji.length);
  dji.forEach((value, t) => assert.ok(Math.abs(value - 25_000 * market.index.close[t]!) < 1e-9 * value));
  // Stocks co-move with the index: positive correlation of daily log returns.
  const logReturns = (xs: number[]) => xs.slice(1).map((x, i) => Math.log(x / xs[i]!));
  const corr = (a: number[], b: number[]) => {
    const ma = a.reduce((s, x) => s + x, 0) / a.length;
    const mb = b.reduce((s, x) => s + x, 0) / b.length;
    let sab = 0, saa = 0, sbb = 0;
    a.forEach((x, i) => ((sab += (x - ma) * (b[i]! - mb)), (saa += (x - ma) ** 2), (sbb += (b[i]! - mb) ** 2)));
    return sab / Math.sqrt(saa * sbb);
  };
  const stock = closesOf(await synthetic({ tickers: ['AAA'] }), 'AAA');
  assert.ok(corr(logReturns(stock), logReturns(dji)) > 0.3);
});

test('regimes: VIX sits higher in bear and crisis regimes, and market volatility rises with them', () => {
  const days = 252 * 40;
  const market = simulateMarket(11, days);
  const vix = [0, 0, 0];
  const count = [0, 0, 0];
  const squared = [0, 0, 0];
  for (let t = 0; t < days; t++) {
    const r = market.regime[t]!;
    count[r]!++;
    vix[r]! += market.vix.close[t]!;
    squared[r]! += market.factorReturn[t]! ** 2;
  }
  assert.ok(count.every((c) => c > 100), `every regime visited: ${count}`);
  const meanVix = vix.map((v, r) => v / count[r]!);
  assert.ok(meanVix[0]! < meanVix[1]! && meanVix[1]! < meanVix[2]!, `VIX by regime ${meanVix}`);
  const annualVol = squared.map((s, r) => Math.sqrt((s / count[r]!) * 252));
  REGIMES.forEach((spec, r) => assert.ok(Math.abs(annualVol[r]! - spec.vol) < 0.2 * spec.vol, `${spec.name}: ${annualVol[r]} vs ${spec.vol}`));
});

test('per-ticker profiles differ (drift, volatility, beta, price level)', () => {
  const market = simulateMarket(7, 10);
  const a = simulateStock(7, 'AAA', market).profile;
  const b = simulateStock(7, 'BBB', market).profile;
  assert.not.equal(a.beta, b.beta);
  assert.not.equal(a.alpha, b.alpha);
  assert.not.equal(a.idioVol, b.idioVol);
  assert.not.equal(a.startPrice, b.startPrice);
});

test('empty ranges are errors naming the dates', async () => {
  assert.is(
    await rejection(synthetic({ tickers: ['AAA'], start: '2020-02-01', end: '2020-01-01' })),
    'empty date range: start 2020-02-01 is not before end 2020-01-01 (end is exclusive)',
  );
  assert.is(await rejection(synthetic({ tickers: ['AAA'], start: '2020-01-04', end: '2020-01-06' })), 'no business days between 2020-01-04 and 2020-01-06 (end is exclusive)');
});

test.run();
