import { test } from 'uvu';
import * as assert from 'uvu/assert';
import ohlcv from '../../steps/ingest.ohlcv/plugin.ts';
import newsPlugin from '../../steps/ingest.news/plugin.ts';
import { toneOf } from '../../steps/ingest.news/synthetic.ts';
import { PHRASES } from '../../steps/ingest.news/headlines.ts';
import { numberColumn, stringColumn } from '../../engine/table/rows.ts';
import { toParquet } from '../../engine/table/parquet.ts';
import type { Table } from '../../engine/table/table.ts';
import { rejection, runTable, tableInput } from './harness.ts';

const pricesOf = (params: Record<string, unknown> = {}) =>
  runTable(ohlcv, { source: 'synthetic', tickers: ['AAA', 'BBB', '^VIX'], start: '2019-01-01', end: '2021-01-01', seed: 3, ...params }, { port: 'prices' });

const newsOf = async (prices: Table, params: Record<string, unknown> = {}) =>
  runTable(newsPlugin, { source: 'synthetic', seed: 5, ...params }, { port: 'news', inputs: { prices: tableInput(prices) } });

/** The close-to-close move into each (date, tic), and each ticker's standard deviation of moves. */
function moves(prices: Table) {
  const dates = stringColumn(prices, 'date');
  const tics = stringColumn(prices, 'tic');
  const close = numberColumn(prices, 'close');
  const last = new Map<string, number>();
  const move = new Map<string, number>();
  const byTic = new Map<string, number[]>();
  for (let i = 0; i < prices.rows; i++) {
    const previous = last.get(tics[i]!);
    if (previous !== undefined) {
      const r = close[i]! / previous - 1;
      move.set(`${dates[i]}|${tics[i]}`, r);
      byTic.set(tics[i]!, [...(byTic.get(tics[i]!) ?? []), r]);
    }
    last.set(tics[i]!, close[i]!);
  }
  const sd = new Map([...byTic].map(([tic, rs]) => {
    const mean = rs.reduce((a, b) => a + b, 0) / rs.length;
    return [tic, Math.sqrt(rs.reduce((a, b) => a + (b - mean) ** 2, 0) / (rs.length - 1))];
  }));
  return { move, sd };
}

test('one headline per stock and day after the first; ^ indexes get none; labels known', async () => {
  const prices = await pricesOf();
  const news = await newsOf(prices);
  const days = new Set(stringColumn(prices, 'date')).size;
  assert.is(news.rows, 2 * (days - 1));
  assert.equal([...new Set(stringColumn(news, 'tic'))], ['AAA', 'BBB']);
  assert.ok(stringColumn(news, 'label').every((l) => l === 'positive' || l === 'negative' || l === 'neutral'));
  assert.ok(stringColumn(news, 'source').every((s) => s === 'synthetic'));
});

test('tone follows the move: labels agree with returns except for the label noise', async () => {
  const prices = await pricesOf();
  const { move, sd } = moves(prices);
  for (const [noise, low, high] of [[0, 1, 1], [0.1, 0.87, 0.93], [0.3, 0.65, 0.75]] as const) {
    const news = await newsOf(prices, { label_noise: noise });
    const dates = stringColumn(news, 'date');
    const tics = stringColumn(news, 'tic');
    const labels = stringColumn(news, 'label');
    let agree = 0;
    for (let i = 0; i < news.rows; i++) {
      const expected = toneOf(move.get(`${dates[i]}|${tics[i]}`)!, sd.get(tics[i]!)!, 0.5);
      if (labels[i] === expected) agree++;
    }
    const rate = agree / news.rows;
    assert.ok(rate >= low && rate <= high, `noise ${noise}: agreement ${rate}`);
  }
});

test('the words carry the tone: every headline comes from its label\'s phrasebook', async () => {
  const news = await newsOf(await pricesOf());
  const headlines = stringColumn(news, 'headline');
  const labels = stringColumn(news, 'label');
  const patterns = Object.fromEntries(
    Object.entries(PHRASES).map(([label, book]) => [label, book.headlines.map((h) => new RegExp(`^${h.replace('{tic}', '[A-Z]+').replace('{why}', '.+')}$`))]),
  );
  headlines.forEach((h, i) => assert.ok(patterns[labels[i]!]!.some((p) => p.test(h!)), `${labels[i]}: ${h}`));
  assert.ok(new Set(headlines).size > 50, 'headlines vary');
});

test('horizon 1: tone follows the next day\'s move', async () => {
  const prices = await pricesOf({ tickers: ['AAA'] });
  const { move, sd } = moves(prices);
  const news = await newsOf(prices, { horizon: 1, label_noise: 0 });
  const dates = [...new Set(stringColumn(prices, 'date'))];
  const labels = stringColumn(news, 'label');
  stringColumn(news, 'date').forEach((date, i) => {
    const next = dates[dates.indexOf(date!) + 1]!;
    assert.is(labels[i], toneOf(move.get(`${next}|AAA`)!, sd.get('AAA')!, 0.5));
  });
  assert.is(news.rows, dates.length - 1);
});

test('same seed and prices give the same bytes; filters keep the same headlines', async () => {
  const prices = await pricesOf();
  const a = toParquet(await newsOf(prices, { per_day: 2 }));
  const b = toParquet(await newsOf(prices, { per_day: 2 }));
  assert.equal(Buffer.compare(Buffer.from(a), Buffer.from(b)), 0);
  const all = await newsOf(prices);
  const some = await newsOf(prices, { tickers: ['BBB'], start: '2020-03-02', end: '2020-03-07' });
  assert.equal(stringColumn(some, 'date'), ['2020-03-02', '2020-03-03', '2020-03-04', '2020-03-05', '2020-03-06']);
  const index = stringColumn(all, 'date').findIndex((d, i) => d === '2020-03-02' && stringColumn(all, 'tic')[i] === 'BBB');
  assert.is(stringColumn(some, 'headline')[0], stringColumn(all, 'headline')[index]);
});

test('synthetic news without prices is a clear error', async () => {
  assert.is(
    await rejection(runTable(newsPlugin, { source: 'synthetic' }, { port: 'news' })),
    'source synthetic needs the `prices` input: connect it to an ingest.ohlcv step, e.g. inputs: { prices: ohlcv.prices }',
  );
});

test.run();
