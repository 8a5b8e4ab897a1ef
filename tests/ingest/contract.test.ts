/** What the engine asks of the ingestion plugins besides `run`: semantic checks, file deps, always-run. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import ohlcv from '../../steps/ingest.ohlcv/plugin.ts';
import news from '../../steps/ingest.news/plugin.ts';
import type { OhlcvParams } from '../../steps/ingest.ohlcv/params.ts';
import type { NewsParams } from '../../steps/ingest.news/params.ts';
import { reachesToday, todayUtc } from '../../steps/lib/ingest/dates.ts';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

const prices = (p: Record<string, unknown>) => p as OhlcvParams;
const headlines = (p: Record<string, unknown>) => p as NewsParams;

test('ohlcv check(): what each source needs, and what does not fit it', () => {
  assert.equal(ohlcv.check!(prices({ source: 'yahoo', tickers: ['AAPL'] })), [
    { path: ['start'], message: 'is required for source yahoo' },
    { path: ['end'], message: 'is required for source yahoo' },
  ]);
  assert.equal(ohlcv.check!(prices({ source: 'csv' })), [{ path: ['path'], message: 'is required for source csv' }]);
  assert.equal(ohlcv.check!(prices({ source: 'synthetic', tickers: ['A'], start: '2020-01-01', end: '2020-02-01', interval: '1wk' })), [
    { path: ['interval'], message: 'source synthetic has daily bars only (1d)' },
  ]);
  assert.equal(ohlcv.check!(prices({ source: 'alpaca', tickers: ['AAPL', '^DJI'], start: '2020-01-01', end: '2020-02-01' })), [
    { path: ['tickers', 1], message: 'alpaca has no index data (^DJI); use source yahoo or synthetic' },
  ]);
  assert.equal(ohlcv.check!(prices({ tickers: ['A'], start: '2020-02-01', end: '2020-02-01' })), [
    { path: ['end'], message: 'must be after start 2020-02-01 (end is exclusive)' },
  ]);
  assert.equal(ohlcv.check!(prices({ tickers: ['A'], start: '2020-01-01', end: '2020-02-30' })), [{ path: ['end'], message: 'is not a calendar date: 2020-02-30' }]);
  assert.equal(ohlcv.check!(prices({ source: 'csv', path: 'p.csv', columns: { Close: 'close', 'Adj Close': 'close' } })), [
    { path: ['columns', 'Adj Close'], message: 'maps to `close` like `Close` does' },
  ]);
  assert.equal(ohlcv.check!(prices({ tickers: ['A'], start: '2020-01-01', end: 'today', columns: { x: 'close' } })), [
    { path: ['columns'], message: 'only applies to sources csv and parquet' },
  ]);
});

test('news check()', () => {
  assert.equal(news.check!(headlines({ source: 'finnhub' })), [
    { path: ['tickers'], message: 'is required for source finnhub' },
    { path: ['start'], message: 'is required for source finnhub' },
    { path: ['end'], message: 'is required for source finnhub' },
  ]);
  assert.equal(news.check!(headlines({})), []);
  assert.equal(news.check!(headlines({ source: 'alpaca', tickers: ['A'], start: '2020-01-01', end: '2020-02-01', queries: { A: 'a' } })), [
    { path: ['queries'], message: 'only applies to source newsapi' },
  ]);
});

test('alwaysRun: a range reaching today refetches unless pinned; past ranges are cacheable', () => {
  const today = todayUtc();
  assert.is(ohlcv.alwaysRun!(prices({ source: 'yahoo', end: '2020-01-01' })), false);
  assert.is(ohlcv.alwaysRun!(prices({ source: 'yahoo', end: 'today' })), true);
  assert.is(ohlcv.alwaysRun!(prices({ source: 'yahoo', end: today })), true);
  assert.is(ohlcv.alwaysRun!(prices({ source: 'yahoo', end: 'today', pin: true })), false);
  assert.is(ohlcv.alwaysRun!(prices({ source: 'csv', path: 'p.csv' })), false);
  assert.is(news.alwaysRun!(headlines({ source: 'newsapi', end: 'today' })), true);
  assert.is(news.alwaysRun!(headlines({ source: 'newsapi', end: 'today', pin: true })), false);
  assert.is(news.alwaysRun!(headlines({ source: 'synthetic', end: 'today' })), false);
  const noon = new Date('2024-03-05T12:00:00Z');
  assert.is(reachesToday('2024-03-04', noon), false);
  assert.is(reachesToday('2024-03-05', noon), true);
});

/** Packages reached through static (non-type) imports from `file`, following relative imports. */
function staticPackages(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*? from '([^']+)'/gm)) {
    if (spec!.startsWith('.')) for (const p of staticPackages(resolve(dirname(file), spec!), seen)) packages.add(p);
    else if (!spec!.startsWith('node:')) packages.add(spec!);
  }
  return packages;
}

test('loading a plugin to validate a pipeline pulls in no provider SDK, codec or generator', () => {
  for (const plugin of ['steps/ingest.ohlcv/plugin.ts', 'steps/ingest.news/plugin.ts']) {
    assert.equal([...staticPackages(join(ROOT, plugin))], [], plugin);
  }
  assert.is(ohlcv.name, 'ingest.ohlcv');
  assert.is(news.name, 'ingest.news');
  assert.is(news.inputs.prices!.optional, true);
});

test.run();
