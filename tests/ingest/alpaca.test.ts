import { test } from 'uvu';
import * as assert from 'uvu/assert';
import plugin from '../../steps/ingest.ohlcv/plugin.ts';
import { intColumn, numberColumn, stringColumn } from '../../engine/table/rows.ts';
import { rejection, replayServer, runTable, sendJson, testContext, type Recorded, type ReplayServer } from './harness.ts';

const KEYS = { ALPACA_API_KEY: 'PKTESTKEY0123456789', ALPACA_API_SECRET: 'secretSECRETsecret0123456789abcdefghij' };

/** Daily bars as Alpaca stores them: stamped at midnight New York time (05:00Z in winter). */
const BARS: Record<string, { t: string; o: number; h: number; l: number; c: number; v: number; n: number; vw: number }[]> = {
  AAPL: [
    { t: '2021-01-04T05:00:00Z', o: 133.52, h: 133.6116, l: 126.76, c: 129.41, v: 143301887, n: 1310228, vw: 129.732 },
    { t: '2021-01-05T05:00:00Z', o: 128.89, h: 131.74, l: 128.43, c: 131.01, v: 97664898, n: 707583, vw: 130.717 },
    { t: '2021-01-06T05:00:00Z', o: 127.72, h: 131.0499, l: 126.382, c: 126.6, v: 155087970, n: 1202255, vw: 128.324 },
    { t: '2021-01-07T05:00:00Z', o: 128.36, h: 131.63, l: 127.86, c: 130.92, v: 109578157, n: 718357, vw: 130.116 },
  ],
  MSFT: [
    { t: '2021-01-04T05:00:00Z', o: 222.53, h: 223, l: 214.81, c: 217.69, v: 37130120, n: 439186, vw: 218.126 },
    { t: '2021-01-05T05:00:00Z', o: 217.26, h: 218.52, l: 215.7, c: 217.9, v: 23823032, n: 264356, vw: 217.386 },
    { t: '2021-01-06T05:00:00Z', o: 212.17, h: 216.49, l: 211.94, c: 212.25, v: 35930651, n: 436645, vw: 213.656 },
    { t: '2021-01-07T05:00:00Z', o: 214.04, h: 219.34, l: 213.71, c: 218.29, v: 27694544, n: 325066, vw: 217.341 },
  ],
};
const PAGE = 3;

/** GET /v2/stocks/bars: symbol by symbol, then by time; `next_page_token` is base64 of `SYMBOL|D|time` of the next bar. */
function answerBars(req: Recorded) {
  const symbols = (req.query.get('symbols') ?? '').split(',').sort();
  const start = Date.parse(req.query.get('start')!);
  const end = Date.parse(req.query.get('end')!);
  const all = symbols.flatMap((s) => (BARS[s] ?? []).filter((b) => Date.parse(b.t) >= start && Date.parse(b.t) <= end).map((bar) => ({ s, bar })));
  const token = req.query.get('page_token');
  const from = token === null ? 0 : all.findIndex(({ s, bar }) => Buffer.from(`${s}|D|${bar.t}`).toString('base64') === token);
  const page = all.slice(from, from + PAGE);
  const next = all[from + PAGE];
  const bars: Record<string, unknown[]> = {};
  for (const { s, bar } of page) (bars[s] ??= []).push(bar);
  return { bars, next_page_token: next ? Buffer.from(`${next.s}|D|${next.bar.t}`).toString('base64') : null, currency: 'USD' };
}

const alpacaServer = (answer: (req: Recorded) => [number, unknown] = (req) => [200, answerBars(req)]) =>
  replayServer((req, res) => {
    if (req.path !== '/v2/stocks/bars') return sendJson(res, 404, { code: 40410000, message: 'endpoint not found' });
    const [status, body] = answer(req);
    sendJson(res, status, body);
  });

const alpaca = (server: ReplayServer, params: Record<string, unknown> = {}, secrets: Record<string, string> = KEYS) =>
  runTable(
    plugin,
    { source: 'alpaca', tickers: ['MSFT', 'AAPL'], start: '2021-01-04', end: '2021-01-07', endpoint: server.url, attempts: 2, retry_delay_ms: 1, ...params },
    { port: 'prices', ctx: testContext({ secrets }) },
  );

test('bars v2 across pages (next_page_token), keys in headers only, New York dates, end exclusive', async () => {
  const server = await alpacaServer();
  try {
    const t = await alpaca(server);
    assert.is(server.requests.length, 2);
    const [first, second] = server.requests;
    assert.is(first!.query.get('symbols'), 'MSFT,AAPL');
    assert.is(first!.query.get('timeframe'), '1Day');
    assert.is(first!.query.get('adjustment'), 'all');
    assert.is(first!.query.get('feed'), 'iex');
    assert.is(first!.query.get('page_token'), null);
    assert.is(second!.query.get('page_token'), Buffer.from('MSFT|D|2021-01-04T05:00:00Z').toString('base64'));
    for (const r of server.requests) {
      assert.is(r.headers['apca-api-key-id'], KEYS.ALPACA_API_KEY);
      assert.is(r.headers['apca-api-secret-key'], KEYS.ALPACA_API_SECRET);
      assert.not.ok(r.query.toString().includes(KEYS.ALPACA_API_SECRET));
    }
    assert.equal(stringColumn(t, 'date'), ['2021-01-04', '2021-01-04', '2021-01-05', '2021-01-05', '2021-01-06', '2021-01-06']);
    assert.equal(stringColumn(t, 'tic'), ['AAPL', 'MSFT', 'AAPL', 'MSFT', 'AAPL', 'MSFT']);
    assert.equal([...numberColumn(t, 'close')], [129.41, 217.69, 131.01, 217.9, 126.6, 212.25]);
    assert.equal([...numberColumn(t, 'volume')], [143301887, 37130120, 97664898, 23823032, 155087970, 35930651]);
    assert.equal([...intColumn(t, 'day')], [0, 0, 1, 1, 2, 2]);
  } finally {
    await server.close();
  }
});

test('missing keys are named, without values', async () => {
  const server = await alpacaServer();
  try {
    assert.is(await rejection(alpaca(server, {}, {})), 'source alpaca needs ALPACA_API_KEY and ALPACA_API_SECRET: set them in the environment or in config/api_keys.yaml');
    assert.is(await rejection(alpaca(server, {}, { ALPACA_API_KEY: 'x' })), 'source alpaca needs ALPACA_API_SECRET: set it in the environment or in config/api_keys.yaml');
    assert.is(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

test('a symbol Alpaca has no bars for is an unknown ticker', async () => {
  const server = await alpacaServer();
  try {
    assert.is(await rejection(alpaca(server, { tickers: ['AAPL', 'NOPE'] })), 'unknown ticker "NOPE" for source alpaca: no rows between 2021-01-04 and 2021-01-07');
  } finally {
    await server.close();
  }
});

test("Alpaca's error envelope reaches the message; keys never do", async () => {
  const server = await alpacaServer(() => [403, { message: 'forbidden.' }]);
  try {
    const message = await rejection(alpaca(server));
    assert.is(message, 'alpaca bars request (1Day, MSFT,AAPL) failed: HTTP 403: forbidden.');
  } finally {
    await server.close();
  }
  const invalid = await alpacaServer(() => [400, { code: 42210000, message: 'invalid symbol: aapl$' }]);
  try {
    assert.is(await rejection(alpaca(invalid, { tickers: ['aapl$'] })), 'alpaca bars request (1Day, aapl$) failed: HTTP 400: invalid symbol: aapl$');
  } finally {
    await invalid.close();
  }
});

test('rate limiting (429) is retried, then reported', async () => {
  let calls = 0;
  const server = await alpacaServer((req) => (calls++ === 0 ? [429, { message: 'too many requests.' }] : [200, answerBars(req)]));
  try {
    assert.is((await alpaca(server)).rows, 6);
  } finally {
    await server.close();
  }
  const busy = await alpacaServer(() => [429, { message: 'too many requests.' }]);
  try {
    assert.is(await rejection(alpaca(busy)), 'alpaca bars request (1Day, MSFT,AAPL) failed after 2 attempts: HTTP 429 Too Many Requests');
  } finally {
    await busy.close();
  }
});

test.run();
