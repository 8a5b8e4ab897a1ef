import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ohlcv from '../../steps/ingest.ohlcv/plugin.ts';
import newsPlugin from '../../steps/ingest.news/plugin.ts';
import { numberColumn, stringColumn } from '../../engine/table/rows.ts';
import { parseCsv } from '../../engine/table/csv.ts';
import { rejection, runTable, testContext } from './harness.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'ingest');

/** A project folder holding the given files. */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ingest-files-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const prices = (root: string, params: Record<string, unknown>, ctx = testContext({ projectRoot: root })) =>
  runTable(ohlcv, { source: 'csv', path: 'prices.csv', ...params }, { port: 'prices', ctx });

const HEADER = 'date,tic,open,high,low,close,volume';

test('csv in FinRL long format reads as it is, plus the day column', async () => {
  const t = await runTable(ohlcv, { source: 'csv', path: 'ohlcv.csv' }, { port: 'prices', ctx: testContext({ projectRoot: FIXTURES }) });
  const expected = parseCsv(`${HEADER}\n2019-01-02,AAA,50.16909917,51.01807789,49.08952085,50.01592515,4962549\n`, { file: 'x' });
  assert.is(t.rows, 900);
  assert.equal(t.names, ['date', 'tic', 'open', 'high', 'low', 'close', 'volume', 'day']);
  assert.is(stringColumn(t, 'date')[0], '2019-01-02');
  assert.is(numberColumn(t, 'close')[0], numberColumn(expected, 'close')[0]);
  assert.is(numberColumn(t, 'volume')[0], 4962549);
});

test('parquet written by pandas/pyarrow gives the same table as the csv', async () => {
  const ctx = testContext({ projectRoot: FIXTURES });
  const fromCsv = await runTable(ohlcv, { source: 'csv', path: 'ohlcv.csv' }, { port: 'prices', ctx });
  const fromParquet = await runTable(ohlcv, { source: 'parquet', path: 'ohlcv.pyarrow.parquet' }, { port: 'prices', ctx });
  assert.equal(fromParquet, fromCsv);
  assert.is(
    await rejection(runTable(ohlcv, { source: 'parquet', path: 'ohlcv.pyarrow.parquet', columns: { tic: 'close', close: 'tic' } }, { port: 'prices', ctx })),
    'ohlcv.pyarrow.parquet: column `close`: expected text, found numbers',
  );
});

test('files() declares the file as a dependency; filters by tickers and range', async () => {
  assert.equal(ohlcv.files!(withSource('csv', 'data/p.csv')), { deps: ['data/p.csv'] });
  assert.equal(ohlcv.files!(withSource('synthetic')), {});
  const t = await runTable(ohlcv, { source: 'csv', path: 'ohlcv.csv', tickers: ['BBB'], start: '2019-01-03', end: '2019-01-08' }, { port: 'prices', ctx: testContext({ projectRoot: FIXTURES }) });
  assert.equal(stringColumn(t, 'date'), ['2019-01-03', '2019-01-04', '2019-01-07']);
  assert.equal(stringColumn(t, 'tic'), ['BBB', 'BBB', 'BBB']);
});

function withSource(source: string, path?: string) {
  return { source, path } as Parameters<NonNullable<typeof ohlcv.files>>[0];
}

test('column mapping: a Yahoo CSV of one ticker, Adj Close as close, raw Close ignored', async () => {
  const root = project({
    'aapl.csv': [
      'Date,Open,High,Low,Close,Adj Close,Volume',
      '2020-01-03,74.287498,75.144997,74.125000,74.357498,72.349014,146322800',
      '2020-01-02,74.059998,75.150002,73.797501,75.087502,73.059280,135480400',
    ].join('\n'),
  });
  // A ticker's dates must increase down the file.
  assert.is(
    await rejection(prices(root, { path: 'aapl.csv', tickers: ['AAPL'], columns: { Date: 'date', Open: 'open', High: 'high', Low: 'low', 'Adj Close': 'close', Volume: 'volume' } })),
    'aapl.csv:3: dates go backwards for AAPL: 2020-01-02 comes after 2020-01-03 (aapl.csv:2)',
  );
  const ordered = project({
    'aapl.csv': [
      'Date,Open,High,Low,Close,Adj Close,Volume',
      '2020-01-02 00:00:00,74.059998,75.150002,73.797501,75.087502,73.059280,135480400',
      '2020-01-03 00:00:00,74.287498,75.144997,74.125000,74.357498,72.349014,146322800',
    ].join('\n'),
  });
  const t = await prices(ordered, { path: 'aapl.csv', tickers: ['AAPL'], columns: { Date: 'date', Open: 'open', High: 'high', Low: 'low', 'Adj Close': 'close', Volume: 'volume' } });
  assert.equal(stringColumn(t, 'date'), ['2020-01-02', '2020-01-03']);
  assert.equal(stringColumn(t, 'tic'), ['AAPL', 'AAPL']);
  assert.equal([...numberColumn(t, 'close')], [73.05928, 72.349014]);
});

test('bad files: exact messages naming file:line', async () => {
  const cases: [string, string][] = [
    [`${HEADER}\n2020-01-02,AAA,1,2,0.5,1.5,100\n2020-01-03,AAA,1,2,0.5,1.5\n`, 'prices.csv:3: expected 7 fields, found 6'],
    [`${HEADER}\n2020-01-02,AAA,1,2,0.5,abc,100\n`, 'prices.csv:2: column `close`: expected a number, found "abc"'],
    [`${HEADER}\n2020-01-02,AAA,1,2,0.5,1.5,100\n01/03/2020,AAA,1,2,0.5,1.5,100\n`, 'prices.csv:3: column `date`: expected a date YYYY-MM-DD, found "01/03/2020"'],
    [`${HEADER}\n2020-01-02,AAA,1,2,0.5,1.5,100\n2020-02-30,AAA,1,2,0.5,1.5,100\n`, 'prices.csv:3: column `date`: expected a date YYYY-MM-DD, found "2020-02-30"'],
    [`${HEADER}\n2020-01-02,,1,2,0.5,1.5,100\n`, 'prices.csv:2: column `tic`: expected a ticker, found an empty cell'],
    [
      `${HEADER}\n2020-01-02,AAA,1,2,0.5,1.5,100\n2020-01-03,AAA,1,2,0.5,1.5,100\n2020-01-03,BBB,1,2,0.5,1.5,100\n\n2020-01-03,AAA,1,2,0.5,1.5,100\n`,
      'prices.csv:6: duplicate row for (2020-01-03, AAA); first seen at prices.csv:3',
    ],
    [
      `${HEADER}\n2020-01-02,AAA,1,2,0.5,1.5,100\n2020-01-06,AAA,1,2,0.5,1.5,100\n2020-01-02,BBB,1,2,0.5,1.5,100\n2020-01-03,AAA,1,2,0.5,1.5,100\n`,
      'prices.csv:5: dates go backwards for AAA: 2020-01-03 comes after 2020-01-06 (prices.csv:3)',
    ],
    [
      'date,tic,open,high,low,close\n2020-01-02,AAA,1,2,0.5,1.5\n',
      'prices.csv: no column for `volume`; columns are date, tic, open, high, low, close. Map them with `columns: { <file column>: <output> }`',
    ],
    [
      'date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,100\n',
      'prices.csv: no column for `tic`; columns are date, open, high, low, close, volume. Map them with `columns: { <file column>: <output> }` (a file of one ticker needs exactly one entry in `tickers`)',
    ],
  ];
  for (const [text, message] of cases) {
    assert.is(await rejection(prices(project({ 'prices.csv': text }), {})), message, message);
  }
  assert.is(await rejection(prices(project({}), { path: 'data/nope.csv' })), 'data/nope.csv: file not found');
  assert.is(
    await rejection(prices(project({ 'prices.csv': `${HEADER}\n2020-01-02,AAA,1,2,0.5,1.5,100\n` }), { tickers: ['AAA', 'ZZZ'] })),
    'unknown ticker "ZZZ" for source csv: no rows',
  );
});

test("rows with missing values are dropped with a warning, as FinRL's dropna", async () => {
  const root = project({ 'prices.csv': `${HEADER}\n2020-01-02,AAA,1,2,0.5,1.5,100\n2020-01-03,AAA,1,2,0.5,,100\n2020-01-06,AAA,1,2,0.5,1.5,NaN\n2020-01-07,AAA,1,2,0.5,1.5,100\n` });
  const ctx = testContext({ projectRoot: root });
  const t = await prices(root, {}, ctx);
  assert.equal(stringColumn(t, 'date'), ['2020-01-02', '2020-01-07']);
  assert.equal(
    ctx.logs.filter((l) => l.level === 'warn').map((l) => l.message),
    ["prices.csv: dropped 2 rows with missing values (first at prices.csv:3), as FinRL's dropna does"],
  );
});

// --- news files -----------------------------------------------------------------

const news = (root: string, params: Record<string, unknown>) =>
  runTable(newsPlugin, { source: 'csv', path: 'news.csv', ...params }, { port: 'news', ctx: testContext({ projectRoot: root }) });

test('news csv with a column mapping; label kept; sorted by date then tic', async () => {
  const root = project({
    'news.csv': [
      'published,symbol,title,sentiment,link',
      '2020-01-03T14:00:00Z,MSFT,"Microsoft wins contract, shares up",positive,https://example.com/1',
      '2020-01-02,AAPL,Apple flat ahead of event,,https://example.com/2',
      '2020-01-03,AAPL,Apple falls on recall,negative,',
    ].join('\n'),
  });
  const t = await news(root, { columns: { published: 'date', symbol: 'tic', title: 'headline', sentiment: 'label', link: 'url' } });
  assert.equal(t.names, ['date', 'tic', 'headline', 'summary', 'source', 'url', 'label']);
  assert.equal(stringColumn(t, 'date'), ['2020-01-02', '2020-01-03', '2020-01-03']);
  assert.equal(stringColumn(t, 'tic'), ['AAPL', 'AAPL', 'MSFT']);
  assert.equal(stringColumn(t, 'headline'), ['Apple flat ahead of event', 'Apple falls on recall', 'Microsoft wins contract, shares up']);
  assert.equal(stringColumn(t, 'label'), [null, 'negative', 'positive']);
  assert.equal(stringColumn(t, 'summary'), [null, null, null]);
  assert.equal(stringColumn(t, 'url'), ['https://example.com/2', null, 'https://example.com/1']);
  assert.equal(newsPlugin.files!({ source: 'csv', path: 'news.csv' }), { deps: ['news.csv'] });
});

test('news jsonl, and its bad lines', async () => {
  const root = project({
    'news.jsonl': [
      '{"date":"2020-01-02","tic":"AAPL","headline":"Apple beats estimates","label":"positive","id":17}',
      '',
      '{"date":"2020-01-02","tic":"MSFT","headline":"Microsoft holds steady","summary":"Quiet day."}',
    ].join('\n'),
    'array.jsonl': '{"date":"2020-01-02","tic":"AAPL","headline":"x"}\n[1,2]\n',
    'broken.jsonl': '{"date":"2020-01-02","tic":"AAPL","headline":"x"}\n\n{"date": 2020-01-02}\n',
    'labels.csv': 'date,tic,headline,sentiment\n2020-01-02,AAPL,ok,positive\n2020-01-03,AAPL,hmm,bullish\n',
  });
  const t = await news(root, { source: 'jsonl', path: 'news.jsonl' });
  assert.equal(stringColumn(t, 'tic'), ['AAPL', 'MSFT']);
  assert.equal(stringColumn(t, 'summary'), [null, 'Quiet day.']);
  assert.equal(stringColumn(t, 'label'), ['positive', null]);
  assert.is(await rejection(news(root, { source: 'jsonl', path: 'array.jsonl' })), 'array.jsonl:2: expected a JSON object, found [1,2]');
  assert.match(await rejection(news(root, { source: 'jsonl', path: 'broken.jsonl' })), /^broken\.jsonl:3: expected a JSON object, found invalid JSON \(/);
  assert.is(
    await rejection(news(root, { path: 'labels.csv', columns: { sentiment: 'label' } })),
    'labels.csv:3: column `sentiment`: expected positive, negative or neutral, found "bullish"',
  );
});

test('news fpb: Financial PhraseBank `sentence@label` lines, Latin-1 or UTF-8, in file order', async () => {
  const root = project({
    'fpb-utf8.txt': 'Operating profit rose to EUR 13.1 mn from EUR 8.7 mn .@positive\nThe e-mail address is info@example.com@neutral\n\nSales fell 5 % .@negative\n',
    'fpb-bad.txt': 'Fine sentence@positive\nNo label here\n',
    'fpb-label.txt': 'Fine sentence@positive\nShares rose@bullish\n',
  });
  // The published files are Latin-1: "ä" is one byte, 0xE4.
  writeFileSync(join(root, 'fpb-latin1.txt'), Buffer.from('Kone\'s net sales in Hyvink\xe4\u00e4 grew@positive\n', 'latin1'));
  const t = await news(root, { source: 'fpb', path: 'fpb-utf8.txt' });
  assert.equal(t.names, ['date', 'tic', 'headline', 'summary', 'source', 'url', 'label']);
  assert.equal(stringColumn(t, 'headline'), ['Operating profit rose to EUR 13.1 mn from EUR 8.7 mn .', 'The e-mail address is info@example.com', 'Sales fell 5 % .']);
  assert.equal(stringColumn(t, 'label'), ['positive', 'neutral', 'negative']);
  assert.equal(stringColumn(t, 'date'), [null, null, null]);
  assert.equal(stringColumn(await news(root, { source: 'fpb', path: 'fpb-latin1.txt' }), 'headline'), ["Kone's net sales in Hyvinkää grew"]);
  assert.is(await rejection(news(root, { source: 'fpb', path: 'fpb-bad.txt' })), 'fpb-bad.txt:2: expected `sentence@label`, found no `@`');
  assert.is(await rejection(news(root, { source: 'fpb', path: 'fpb-label.txt' })), 'fpb-label.txt:2: expected the label positive, negative or neutral after the last `@`, found "bullish"');
  assert.equal(newsPlugin.check!({ source: 'fpb', path: 'x.txt', tickers: ['AAPL'] }), [{ path: ['tickers'], message: 'does not apply to source fpb (its sentences have no date or ticker)' }]);
});

test.run();
