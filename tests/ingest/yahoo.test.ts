import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import plugin from '../../steps/ingest.ohlcv/plugin.ts';
import { intColumn, numberColumn, stringColumn } from '../../engine/table/rows.ts';
import { closedPort, rejection, replayServer, runTable, sendJson, testContext, type ReplayServer } from './harness.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'ingest', 'yahoo');
const chart = (name: string) => JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8'));

interface ChartResult {
  timestamp: number[];
  indicators: { quote: Record<string, (number | null)[]>[]; adjclose: { adjclose: (number | null)[] }[] };
}

/** Yahoo's v8 chart endpoint: the stored answer, cut to [period1, period2) as Yahoo does; 404 for other symbols. */
function yahooChart(failFirst: Record<string, number> = {}) {
  return replayServer((req, res) => {
    const symbol = decodeURIComponent(req.path.replace('/v8/finance/chart/', ''));
    if ((failFirst[symbol] ?? 0) > 0) {
      failFirst[symbol]!--;
      res.writeHead(503, 'Service Unavailable').end();
      return;
    }
    if (symbol !== 'AAPL' && symbol !== 'MSFT') return sendJson(res, 404, chart('not-found'));
    const body = chart(symbol);
    const result: ChartResult = body.chart.result[0];
    const from = Number(req.query.get('period1'));
    const to = Number(req.query.get('period2'));
    const keep = result.timestamp.map((t) => t >= from && t < to);
    const cut = <T>(xs: T[]) => xs.filter((_, i) => keep[i]);
    result.timestamp = cut(result.timestamp);
    for (const [k, v] of Object.entries(result.indicators.quote[0]!)) result.indicators.quote[0]![k] = cut(v);
    result.indicators.adjclose[0]!.adjclose = cut(result.indicators.adjclose[0]!.adjclose);
    sendJson(res, 200, body);
  });
}

const yahoo = (server: ReplayServer | string, params: Record<string, unknown> = {}, ctx = testContext()) =>
  runTable(
    plugin,
    {
      source: 'yahoo',
      tickers: ['MSFT', 'AAPL'],
      start: '2020-01-02',
      end: '2020-01-09',
      endpoint: typeof server === 'string' ? server : server.url,
      attempts: 2,
      retry_delay_ms: 1,
      ...params,
    },
    { port: 'prices', ctx },
  );

test('requests the v8 chart API as yahoo-finance2 does, one symbol per request', async () => {
  const server = await yahooChart();
  try {
    await yahoo(server);
    const paths = server.requests.map((r) => r.path).sort();
    assert.equal(paths, ['/v8/finance/chart/AAPL', '/v8/finance/chart/MSFT']);
    const q = server.requests[0]!.query;
    assert.is(q.get('interval'), '1d');
    // One day of slack each side of [2020-01-02, 2020-01-09): 2020-01-01 and 2020-01-10, 00:00 UTC.
    assert.is(q.get('period1'), '1577836800');
    assert.is(q.get('period2'), '1578614400');
    assert.is(q.get('includePrePost'), 'false');
  } finally {
    await server.close();
  }
});

test("FinRL's YahooDownloader: OHLC times adjclose/close, day of week, missing rows dropped, end exclusive, sorted", async () => {
  const server = await yahooChart();
  try {
    const t = await yahoo(server);
    // AAPL's 2020-01-07 bar has no volume (dropped, as FinRL's dropna); 2020-01-09 is the exclusive end.
    assert.equal(stringColumn(t, 'date'), ['2020-01-02', '2020-01-02', '2020-01-03', '2020-01-03', '2020-01-06', '2020-01-06', '2020-01-07', '2020-01-08', '2020-01-08']);
    assert.equal(stringColumn(t, 'tic'), ['AAPL', 'MSFT', 'AAPL', 'MSFT', 'AAPL', 'MSFT', 'MSFT', 'AAPL', 'MSFT']);
    assert.equal([...intColumn(t, 'day')], [3, 3, 4, 4, 0, 0, 1, 2, 2]);
    // Row 0 is AAPL on 2020-01-02: raw open 74.05999755859375, close 75.0875015258789, adjclose 73.05928039550781.
    const adj = 73.05928039550781 / 75.0875015258789;
    assert.is(numberColumn(t, 'open')[0], 74.05999755859375 * adj);
    assert.is(numberColumn(t, 'high')[0], 75.1500015258789 * adj);
    assert.is(numberColumn(t, 'low')[0], 73.79750061035156 * adj);
    assert.is(numberColumn(t, 'close')[0], 75.0875015258789 * adj);
    assert.is(numberColumn(t, 'volume')[0], 135480400);
    assert.ok(Math.abs(numberColumn(t, 'close')[0]! - 73.0592803955) < 1e-9);
  } finally {
    await server.close();
  }
});

test('auto_adjust: true takes adjclose as the close (yfinance)', async () => {
  const server = await yahooChart();
  try {
    const t = await yahoo(server, { tickers: ['AAPL'], auto_adjust: true });
    assert.is(numberColumn(t, 'close')[0], 73.05928039550781);
    assert.is(numberColumn(t, 'open')[0], 74.05999755859375 * (73.05928039550781 / 75.0875015258789));
  } finally {
    await server.close();
  }
});

test('an unknown ticker (Yahoo answers 404) is an error naming it', async () => {
  const server = await yahooChart();
  try {
    assert.is(
      await rejection(yahoo(server, { tickers: ['AAPL', 'NOPE'] })),
      'unknown ticker "NOPE" for source yahoo: Yahoo answered "No data found, symbol may be delisted"',
    );
  } finally {
    await server.close();
  }
});

test('a valid ticker with no bars in the range is an error too', async () => {
  const server = await yahooChart();
  try {
    assert.is(
      await rejection(yahoo(server, { tickers: ['AAPL'], start: '2020-01-10', end: '2020-01-20' })),
      'unknown ticker "AAPL" for source yahoo: no rows between 2020-01-10 and 2020-01-20',
    );
  } finally {
    await server.close();
  }
});

test('a server error is retried with backoff, and logged', async () => {
  const server = await yahooChart({ MSFT: 1 });
  try {
    const ctx = testContext();
    const t = await yahoo(server, { tickers: ['MSFT'] }, ctx);
    assert.is(t.rows, 5);
    assert.is(server.requests.length, 2);
    assert.equal(ctx.logs.filter((l) => l.level === 'warn').map((l) => l.message), ['yahoo chart request for MSFT: attempt 1 failed (HTTP 503 Service Unavailable), retrying']);
  } finally {
    await server.close();
  }
});

test('persistent failures end in one clear message', async () => {
  const server = await yahooChart({ MSFT: 99 });
  try {
    assert.is(await rejection(yahoo(server, { tickers: ['MSFT'] })), 'yahoo chart request for MSFT failed after 2 attempts: HTTP 503 Service Unavailable');
  } finally {
    await server.close();
  }
  const port = await closedPort();
  assert.is(
    await rejection(yahoo(`http://127.0.0.1:${port}`, { tickers: ['MSFT'] })),
    `yahoo chart request for MSFT failed after 2 attempts: connect ECONNREFUSED 127.0.0.1:${port}`,
  );
});

test.run();
