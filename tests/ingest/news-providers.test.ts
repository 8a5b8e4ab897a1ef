import { test } from 'uvu';
import * as assert from 'uvu/assert';
import plugin from '../../steps/ingest.news/plugin.ts';
import { windows } from '../../steps/ingest.news/sources/finnhub.ts';
import { stringColumn } from '../../engine/table/rows.ts';
import { parseDay } from '../../steps/lib/ingest/dates.ts';
import { rejection, replayServer, runTable, sendJson, testContext, type Recorded, type ReplayServer } from './harness.ts';

const SECRETS = {
  ALPACA_API_KEY: 'PKTESTKEY0123456789',
  ALPACA_API_SECRET: 'alpacaSecretValue0123456789',
  FINNHUB_API_KEY: 'finnhubTokenValue0123',
  NEWSAPI_API_KEY: 'newsapiKeyValue0123456789',
};

const news = (server: ReplayServer, params: Record<string, unknown>, ctx = testContext({ secrets: SECRETS })) =>
  runTable(plugin, { tickers: ['AAPL', 'MSFT'], start: '2021-01-04', end: '2021-01-06', endpoint: server.url, attempts: 2, retry_delay_ms: 1, ...params }, { port: 'news', ctx });

const columns = (t: Awaited<ReturnType<typeof news>>, ...names: string[]) =>
  Array.from({ length: t.rows }, (_, i) => names.map((n) => stringColumn(t, n)[i]));

// --- Alpaca news v1beta1 -----------------------------------------------------------

const ALPACA_NEWS = [
  {
    id: 19102735,
    headline: 'Apple Supplier Foxconn Reports Record December Sales',
    author: 'Benzinga Newsdesk',
    created_at: '2021-01-05T13:52:41Z',
    updated_at: '2021-01-05T13:52:42Z',
    summary: 'Hon Hai Precision reported December revenue up 28% year over year.',
    content: '',
    url: 'https://www.benzinga.com/news/21/01/19102735/apple-supplier-foxconn-reports-record-december-sales',
    images: [],
    symbols: ['AAPL', 'HNHPF'],
    source: 'benzinga',
  },
  {
    id: 19094127,
    headline: 'Microsoft, Apple Lead Tech Lower In Early Trade',
    author: 'Benzinga Newsdesk',
    created_at: '2021-01-04T15:10:03Z',
    updated_at: '2021-01-04T15:10:04Z',
    summary: '',
    content: '',
    url: 'https://www.benzinga.com/news/21/01/19094127/microsoft-apple-lead-tech-lower-in-early-trade',
    images: [],
    symbols: ['AAPL', 'MSFT'],
    source: 'benzinga',
  },
  {
    // 23:30 New York on Jan 5 is Jan 6 in UTC: still a Jan 5 headline.
    id: 19110002,
    headline: 'Microsoft Teams Outage Resolved',
    author: 'Benzinga Newsdesk',
    created_at: '2021-01-06T04:30:00Z',
    updated_at: '2021-01-06T04:30:00Z',
    summary: 'Service was restored after a two-hour outage.',
    content: '',
    url: 'https://www.benzinga.com/news/21/01/19110002/microsoft-teams-outage-resolved',
    images: [],
    symbols: ['MSFT'],
    source: 'benzinga',
  },
];

function answerAlpacaNews(req: Recorded) {
  // Newest first, one article per page, as a small `limit` would give.
  const token = req.query.get('page_token');
  const index = token === null ? 0 : Number(Buffer.from(token, 'base64').toString().split('|')[1]);
  const sorted = [...ALPACA_NEWS].sort((a, b) => b.created_at.localeCompare(a.created_at));
  const next = index + 1 < sorted.length ? Buffer.from(`${sorted[index + 1]!.created_at}|${index + 1}`).toString('base64') : null;
  return { news: [sorted[index]], next_page_token: next };
}

test('alpaca: /v1beta1/news across pages, one row per requested symbol, New York dates', async () => {
  const server = await replayServer((req, res) =>
    req.path === '/v1beta1/news' ? sendJson(res, 200, answerAlpacaNews(req)) : sendJson(res, 404, { message: 'not found' }),
  );
  try {
    const t = await news(server, { source: 'alpaca' });
    assert.is(server.requests.length, 3);
    assert.is(server.requests[0]!.query.get('symbols'), 'AAPL,MSFT');
    assert.is(server.requests[0]!.headers['apca-api-key-id'], SECRETS.ALPACA_API_KEY);
    assert.equal(t.names, ['date', 'tic', 'headline', 'summary', 'source', 'url', 'label']);
    assert.equal(columns(t, 'date', 'tic', 'headline', 'summary', 'label'), [
      ['2021-01-04', 'AAPL', 'Microsoft, Apple Lead Tech Lower In Early Trade', null, null],
      ['2021-01-04', 'MSFT', 'Microsoft, Apple Lead Tech Lower In Early Trade', null, null],
      ['2021-01-05', 'AAPL', 'Apple Supplier Foxconn Reports Record December Sales', 'Hon Hai Precision reported December revenue up 28% year over year.', null],
      ['2021-01-05', 'MSFT', 'Microsoft Teams Outage Resolved', 'Service was restored after a two-hour outage.', null],
    ]);
    assert.is(stringColumn(t, 'source')[0], 'benzinga');
  } finally {
    await server.close();
  }
});

// --- Finnhub company news --------------------------------------------------------

const FINNHUB: Record<string, unknown[]> = {
  AAPL: [
    {
      category: 'company',
      datetime: 1609857000,
      headline: 'Apple stock rises as analysts see strong iPhone demand',
      id: 63036934,
      image: 'https://static2.finnhub.io/file/publicdatany/finnhubimage/stock_market_news/hmpicture.jpg',
      related: 'AAPL',
      source: 'MarketWatch',
      summary: 'Shares of Apple Inc. rose Tuesday after analysts raised estimates.',
      url: 'https://finnhub.io/api/news?id=5a1b7c6f0d4e8a2b3c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b',
    },
  ],
  MSFT: [],
};

test('finnhub: company-news per ticker and window, token in a header; a ticker without news is a warning', async () => {
  const server = await replayServer((req, res) => {
    if (req.headers['x-finnhub-token'] !== SECRETS.FINNHUB_API_KEY) return sendJson(res, 401, { error: 'Invalid API key' });
    sendJson(res, 200, FINNHUB[req.query.get('symbol')!] ?? []);
  });
  try {
    const ctx = testContext({ secrets: SECRETS });
    const t = await news(server, { source: 'finnhub' }, ctx);
    assert.equal(
      server.requests.map((r) => [r.path, r.query.get('symbol'), r.query.get('from'), r.query.get('to'), r.query.has('token')]),
      [
        ['/api/v1/company-news', 'AAPL', '2021-01-04', '2021-01-05', false],
        ['/api/v1/company-news', 'MSFT', '2021-01-04', '2021-01-05', false],
      ],
    );
    assert.equal(columns(t, 'date', 'tic', 'headline', 'source'), [['2021-01-05', 'AAPL', 'Apple stock rises as analysts see strong iPhone demand', 'MarketWatch']]);
    assert.ok(ctx.logs.some((l) => l.level === 'warn' && l.message === 'no news from finnhub for MSFT between 2021-01-04 and 2021-01-06 (unknown symbol?)'));
  } finally {
    await server.close();
  }
});

test('finnhub: a rejected key and an empty answer for every ticker are errors', async () => {
  const server = await replayServer((req, res) => sendJson(res, 401, { error: 'Invalid API key' }));
  try {
    assert.is(await rejection(news(server, { source: 'finnhub' })), 'finnhub company-news request for AAPL (2021-01-04..2021-01-05) failed: HTTP 401: Invalid API key');
  } finally {
    await server.close();
  }
  const empty = await replayServer((req, res) => sendJson(res, 200, []));
  try {
    assert.is(await rejection(news(empty, { source: 'finnhub', tickers: ['NOPE'] })), 'no news from finnhub for NOPE between 2021-01-04 and 2021-01-06');
  } finally {
    await empty.close();
  }
});

test('finnhub windows cover [start, end) in inclusive 30-day pieces', () => {
  assert.equal(windows(parseDay('2021-01-01')!, parseDay('2021-03-05')!), [
    ['2021-01-01', '2021-01-30'],
    ['2021-01-31', '2021-03-01'],
    ['2021-03-02', '2021-03-04'],
  ]);
});

// --- NewsAPI /v2/everything ------------------------------------------------------

const NEWSAPI_ARTICLES = [
  {
    source: { id: 'reuters', name: 'Reuters' },
    author: 'Reuters Staff',
    title: 'Apple shares gain as 5G iPhone demand holds up',
    description: 'Apple Inc shares rose 1.2% on Tuesday.',
    url: 'https://www.reuters.com/article/us-apple-stocks-idUSKBN2992AB',
    urlToImage: 'https://static.reuters.com/resources/r/?m=02&d=20210105&t=2&i=1547392837',
    publishedAt: '2021-01-05T16:20:00Z',
    content: 'Apple Inc shares rose 1.2% on Tuesday as analysts said demand for the 5G iPhone was holding up... [+1520 chars]',
  },
  {
    source: { id: null, name: 'Yahoo Entertainment' },
    author: null,
    title: 'Why Apple Stock Fell Today',
    description: null,
    url: 'https://finance.yahoo.com/news/why-apple-stock-fell-today-210000123.html',
    urlToImage: null,
    publishedAt: '2021-01-04T21:00:00Z',
    content: null,
  },
];

test('newsapi: /v2/everything paged to totalResults, query per ticker, key in a header', async () => {
  const server = await replayServer((req, res) => {
    if (req.headers['x-api-key'] !== SECRETS.NEWSAPI_API_KEY) {
      return sendJson(res, 401, { status: 'error', code: 'apiKeyInvalid', message: 'Your API key is invalid or incorrect.' });
    }
    const page = Number(req.query.get('page'));
    // One article per page here, as if pageSize were 1.
    sendJson(res, 200, { status: 'ok', totalResults: NEWSAPI_ARTICLES.length, articles: NEWSAPI_ARTICLES.slice(page - 1, page) });
  });
  try {
    const t = await news(server, { source: 'newsapi', tickers: ['AAPL'], queries: { AAPL: 'Apple OR AAPL' } });
    assert.equal(
      server.requests.map((r) => [r.path, r.query.get('q'), r.query.get('from'), r.query.get('to'), r.query.get('page'), r.query.get('language')]),
      [
        ['/v2/everything', 'Apple OR AAPL', '2021-01-04', '2021-01-05', '1', 'en'],
        ['/v2/everything', 'Apple OR AAPL', '2021-01-04', '2021-01-05', '2', 'en'],
      ],
    );
    assert.equal(columns(t, 'date', 'tic', 'headline', 'summary', 'source'), [
      ['2021-01-04', 'AAPL', 'Why Apple Stock Fell Today', null, 'Yahoo Entertainment'],
      ['2021-01-05', 'AAPL', 'Apple shares gain as 5G iPhone demand holds up', 'Apple Inc shares rose 1.2% on Tuesday.', 'Reuters'],
    ]);
  } finally {
    await server.close();
  }
});

test("newsapi: the provider's error message is reported; missing key named", async () => {
  const server = await replayServer((req, res) =>
    sendJson(res, 401, { status: 'error', code: 'apiKeyInvalid', message: 'Your API key is invalid or incorrect.' }),
  );
  try {
    assert.is(
      await rejection(news(server, { source: 'newsapi' })),
      'newsapi request for AAPL (page 1) failed: HTTP 401: Your API key is invalid or incorrect.',
    );
    assert.is(
      await rejection(news(server, { source: 'newsapi' }, testContext())),
      'source newsapi needs NEWSAPI_API_KEY: set it in the environment or in config/api_keys.yaml',
    );
  } finally {
    await server.close();
  }
});

test.run();
