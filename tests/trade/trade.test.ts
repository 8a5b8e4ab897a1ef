import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { numberColumn, stringColumn, type Artifact, type Table } from '../../engine/sdk.ts';
import { testStepContext } from '../../engine/sdk-testing.ts';
import { alpacaServer, KEYS, type AlpacaServer } from './alpaca-server.ts';
import { featureTable, runTrade, tableInput, tradeContext, writeAgent, type TradeContext } from './fixtures.ts';
import type { TradeAlpacaParams } from '../../steps/trade.alpaca/params.ts';

const ENV: TradeAlpacaParams['env'] = { hmax: 100, initial_amount: 100000, buy_cost_pct: 0.001, sell_cost_pct: 0.001, tech_indicator_list: ['macd', 'rsi_30'] as [string, ...string[]], turbulence_threshold: 50 };
const fast = (server: AlpacaServer): TradeAlpacaParams => ({ endpoint: server.url, env: ENV, attempts: 2, retry_delay_ms: 1, request_timeout_ms: 2000, poll_interval_ms: 1, poll_timeout_s: 2 });

function lastCloses(t: Table): Record<string, number> {
  const tic = stringColumn(t, 'tic');
  const close = numberColumn(t, 'close');
  const out: Record<string, number> = {};
  for (let i = 0; i < t.rows; i++) out[tic[i]!] = close[i]!;
  return out;
}

async function trade(server: AlpacaServer, model: string, ctx: TradeContext, params: TradeAlpacaParams = {}, features = featureTable(5)) {
  const out = (await runTrade(ctx, { ...fast(server), model, ...params }, { features: tableInput(features) })) as Record<string, Artifact>;
  if (out.orders?.kind !== 'table' || out.account?.kind !== 'json') throw new Error('expected an orders table and an account json');
  return { orders: out.orders.table, account: out.account.value as { before: { positions: Record<string, number> }; after: { positions: Record<string, number> }; note?: string } };
}

async function failure(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (error) {
    return (error as Error).message;
  }
  return assert.unreachable('expected the step to fail') as never;
}

const rowsOf = (t: Table) => {
  const cols = t.names;
  return Array.from({ length: t.rows }, (_, r) => Object.fromEntries(cols.map((c) => [c, (t.columns[c] as ArrayLike<unknown>)[r]])));
};

test('a day: sells first, then cash-limited buys; orders filled, journalled, tracked; a same-day rerun sends nothing', async () => {
  const features = featureTable(5);
  const server = await alpacaServer({ cash: 10000, prices: lastCloses(features), positions: { AAA: 30, CCC: 5 } });
  try {
    const model = await writeAgent({ fixed: [-0.2, 0.5, -1, 1] });
    const ctx = tradeContext(KEYS);
    const { orders, account } = await trade(server, model, ctx, {}, features);
    // Closes on 2024-03-05: AAA 41.73, BBB 85.12, CCC 131.16, DDD 177.97. AAA: sell trunc(-0.2*100) = 20 of 30;
    // CCC: all 5 held (100 asked). Cash 10000 + 833.77 + 655.14 = 11488.91; DDD (the larger buy) first:
    // 11488.91 // (177.97 * 1.001) = 64 shares, leaving 87.40: 1 share of BBB (85.12 * 1.001).
    const rows = rowsOf(orders);
    assert.equal(
      rows.map((r) => [r.tic, r.side, r.qty, r.status, r.filled_qty]),
      [
        ['AAA', 'sell', 20, 'filled', 20],
        ['CCC', 'sell', 5, 'filled', 5],
        ['BBB', 'buy', 1, 'filled', 1],
        ['DDD', 'buy', 64, 'filled', 64],
      ],
    );
    assert.equal(server.posts.map((p) => p.client_order_id), rows.map((r) => r.client_order_id));
    for (const r of rows) {
      assert.ok((r.client_order_id as string).length <= 128);
      assert.match(r.client_order_id as string, new RegExp(`^tp-2024-03-05-${r.tic}-${r.side}-[0-9a-f]{24}$`));
      assert.is(r.date, '2024-03-05');
    }
    assert.equal(account.before.positions, { AAA: 30, CCC: 5 });
    assert.equal(account.after.positions, { AAA: 10, BBB: 1, DDD: 64 });
    assert.is(ctx.metrics.get('orders sent'), 4);
    // Monitoring's names (monitoring/alerts/tradepipe.rules.yml): orders by status, clips, equity and drawdown.
    assert.is(ctx.metrics.get('trading_orders/status:filled'), 4);
    assert.is(ctx.metrics.get('trading_orders/status:rejected'), undefined);
    assert.is(ctx.metrics.get('trading_clipped_orders'), 0);
    // The test broker charges no fees and marks at the fill prices: equity 10000 + 30 * 41.73 + 5 * 131.16 before and after.
    assert.is(ctx.metrics.get('equity'), 11907.7);
    assert.ok(Math.abs(ctx.metrics.get('trading_equity')! - 11907.7) < 1e-9);
    assert.is(ctx.metrics.get('trading_drawdown'), 0, 'the first equity seen is the peak');

    const rerun = await trade(server, model, tradeContext(KEYS, ctx.stateDir), {}, features);
    assert.is(server.posts.length, 4, 'no new POST');
    assert.equal(rowsOf(rerun.orders).map((r) => [r.tic, r.status]), rows.map((r) => [r.tic, r.status]));
  } finally {
    await server.close();
  }
});

/** The first test's account: 4 orders (AAA, CCC sells; BBB, DDD buys). */
async function day(initial: Partial<Parameters<typeof alpacaServer>[0]> = {}) {
  const features = featureTable(5);
  const server = await alpacaServer({ cash: 10000, prices: lastCloses(features), positions: { AAA: 30, CCC: 5 }, ...initial });
  const model = await writeAgent({ fixed: [-0.2, 0.5, -1, 1] });
  return { server, model, features };
}

test('a POST that times out but landed is found by its client_order_id, not sent again', async () => {
  const { server, model } = await day();
  try {
    server.onPost = (_, n) => (n === 2 ? 'land-and-hang' : 'handle');
    const ctx = tradeContext(KEYS);
    const { orders } = await trade(server, model, ctx, { request_timeout_ms: 300 });
    assert.is(server.posts.length, 4, 'one POST per order');
    assert.is(server.orders.length, 4);
    assert.equal(rowsOf(orders).map((r) => r.status), ['filled', 'filled', 'filled', 'filled']);
    const lookups = server.requests.filter((r) => r.path === '/v2/orders:by_client_order_id').map((r) => r.query.get('client_order_id'));
    assert.equal(lookups.filter((id) => id === server.posts[1]!.client_order_id).length, 2, 'looked up before sending and after the timeout');
  } finally {
    await server.close();
  }
});

test('a POST that got no answer and did not land is sent again, once; a 500 on POST likewise', async () => {
  const { server, model } = await day();
  try {
    server.onPost = (_, n) => (n === 1 ? 'hang' : 'handle');
    let failedOnce = false;
    server.intercept = (req) => (req.method === 'POST' && req.body && (req.body as { symbol: string }).symbol === 'DDD' && !failedOnce ? ((failedOnce = true), [500, { code: 50010000, message: 'internal server error' }]) : undefined);
    const { orders } = await trade(server, model, tradeContext(KEYS), { request_timeout_ms: 300 });
    assert.equal(server.posts.map((p) => p.symbol), ['AAA', 'AAA', 'CCC', 'BBB', 'DDD']);
    assert.is(server.orders.length, 4);
    assert.equal(rowsOf(orders).map((r) => r.status), ['filled', 'filled', 'filled', 'filled']);
  } finally {
    await server.close();
  }
});

test('reads retry 429 and 5xx with backoff', async () => {
  const { server, model } = await day();
  try {
    const answers: [number, unknown][] = [[429, { message: 'too many requests.' }], [503, { message: 'service unavailable' }]];
    server.intercept = (req) => (req.path === '/v2/account' ? answers.shift() : undefined);
    const ctx = tradeContext(KEYS);
    await trade(server, model, ctx, { attempts: 3 });
    assert.is(server.requests.filter((r) => r.path === '/v2/account').length, 2 + 3 - 1, 'retried twice, then answered; read again after');
    assert.is(server.orders.length, 4);
    assert.ok(ctx.logs.some((l) => l.startsWith('warn: alpaca request: attempt 1 failed (HTTP 429')), ctx.logs.join('\n'));
  } finally {
    await server.close();
  }
});

test('turbulence at or above the threshold: every position sold, nothing bought', async () => {
  const features = featureTable(5, { turbulence: [10, 10, 10, 10, 50] });
  const server = await alpacaServer({ cash: 10000, prices: lastCloses(features), positions: { AAA: 30, BBB: 3, CCC: 5 } });
  try {
    const model = await writeAgent({ fixed: [1, 1, 1, 1] });
    const ctx = tradeContext(KEYS);
    const { orders, account } = await trade(server, model, ctx, {}, features);
    assert.equal(rowsOf(orders).map((r) => [r.tic, r.side, r.qty, r.status]), [
      ['AAA', 'sell', 30, 'filled'],
      ['BBB', 'sell', 3, 'filled'],
      ['CCC', 'sell', 5, 'filled'],
    ]);
    assert.equal(account.after.positions, {});
    assert.ok(ctx.logs.includes('warn: turbulence 50 on 2024-03-05 is at or above the threshold 50: selling everything, buying nothing'), ctx.logs.join('\n'));
  } finally {
    await server.close();
  }
});

test('market closed: nothing decided or sent, and the step says why', async () => {
  const { server, model } = await day({ isOpen: false });
  try {
    const ctx = tradeContext(KEYS);
    const { orders, account } = await trade(server, model, ctx);
    assert.is(orders.rows, 0);
    assert.is(server.posts.length, 0);
    assert.ok(!server.requests.some((r) => r.path.startsWith('/v2/orders')));
    assert.is(account.note, 'market closed; next open 2024-03-05T14:30:00.000Z');
    assert.ok(ctx.logs.includes('info: market closed; next open 2024-03-05T14:30:00.000Z: no orders'), ctx.logs.join('\n'));
  } finally {
    await server.close();
  }
});

test('wrong keys (401, 403): a clear error naming the keys, never their values; nothing sent', async () => {
  const { server, model } = await day();
  try {
    const wrong = { ALPACA_API_KEY: 'PKWRONG', ALPACA_API_SECRET: 'wrongsecretwrongsecret' };
    const message = await failure(trade(server, model, tradeContext(wrong)));
    assert.is(message, 'alpaca GET /v2/clock: HTTP 401: request is not authorized: check ALPACA_API_KEY and ALPACA_API_SECRET, and that they belong to the endpoint\'s (paper or live) account');
    assert.is(server.posts.length, 0);
    assert.is(server.requests.length, 1, 'no retry of a 401');
    server.intercept = () => [403, { code: 40310000, message: 'forbidden.' }];
    const forbidden = await failure(trade(server, model, tradeContext(KEYS)));
    assert.ok(forbidden.startsWith('alpaca GET /v2/clock: HTTP 403: forbidden.: check ALPACA_API_KEY and ALPACA_API_SECRET'), forbidden);
    assert.is(server.posts.length, 0);
    const missing = await failure(trade(server, model, tradeContext({})));
    assert.is(missing, 'source trade.alpaca needs ALPACA_API_KEY and ALPACA_API_SECRET: set them in the environment or in config/api_keys.yaml');
  } finally {
    await server.close();
  }
});

test("insufficient buying power (403): reported with the broker's message; the other orders still go, then the step fails", async () => {
  const { server, model } = await day({ reserved: 11000 });
  try {
    const ctx = tradeContext(KEYS);
    const message = await failure(trade(server, model, ctx));
    assert.is(message, '1 order failed: buy 64 DDD: HTTP 403: insufficient buying power');
    assert.equal(server.posts.map((p) => p.symbol), ['AAA', 'CCC', 'BBB', 'DDD']);
    assert.equal(server.orders.map((o) => [o.symbol, o.status]), [['AAA', 'filled'], ['CCC', 'filled'], ['BBB', 'filled']]);
    assert.is(ctx.metrics.get('trading_orders/status:rejected'), 1);
    assert.is(ctx.metrics.get('trading_orders/status:filled'), 3);
    assert.ok(ctx.logs.includes('info: buy 64 DDD (' + server.posts[3]!.client_order_id + '): refused: HTTP 403: insufficient buying power'), ctx.logs.join('\n'));
  } finally {
    await server.close();
  }
});

test('buys wait for the sells to fill; an order the exchange rejects after accepting it fails the step after the others settle', async () => {
  const { server, model } = await day({ rejectSymbols: new Set(['BBB']), fillAfterPolls: 2 });
  try {
    const message = await failure(trade(server, model, tradeContext(KEYS)));
    assert.is(message, '1 order failed: buy 1 BBB: rejected by the broker');
    // The buys wait for the sells to fill: the broker counts their proceeds only then.
    assert.equal(server.orders.map((o) => [o.symbol, o.status]), [['AAA', 'filled'], ['CCC', 'filled'], ['BBB', 'rejected'], ['DDD', 'filled']]);
  } finally {
    await server.close();
  }
});

test('risk limits clip orders and the clips are journalled and counted', async () => {
  const { server, model } = await day();
  try {
    const ctx = tradeContext(KEYS);
    const { orders } = await trade(server, model, ctx, { max_order_notional: 2000, max_position_weight: 0.05 });
    // Equity 10000 + 30 * 41.73 + 5 * 131.16 = 11907.7: 5% is 595.39, 3 shares of DDD after the notional clip (11).
    assert.equal(rowsOf(orders).map((r) => [r.tic, r.side, r.qty, r.reason]), [
      ['AAA', 'sell', 20, null],
      ['CCC', 'sell', 5, null],
      ['BBB', 'buy', 1, null],
      ['DDD', 'buy', 3, 'clipped from 64 to 3 shares by max_order_notional 2000 and max_position_weight 0.05 (close 177.97)'],
    ]);
    assert.is(server.posts[3]!.qty, 3);
    assert.is(ctx.metrics.get('trading_clipped_orders'), 1);
  } finally {
    await server.close();
  }
});

test('dry run: decides and journals, sends nothing', async () => {
  const { server, model } = await day({ isOpen: false });
  try {
    const { orders } = await trade(server, model, tradeContext(KEYS), { dry_run: true });
    assert.equal(rowsOf(orders).map((r) => [r.tic, r.side, r.qty, r.status]), [
      ['AAA', 'sell', 20, 'dry_run'],
      ['CCC', 'sell', 5, 'dry_run'],
      ['BBB', 'buy', 1, 'dry_run'],
      ['DDD', 'buy', 64, 'dry_run'],
    ]);
    assert.is(server.posts.length, 0);
  } finally {
    await server.close();
  }
});

test('the model as an input port decides as the param does; stale features are named', async () => {
  const { server, model } = await day({ isOpen: false });
  try {
    const ctx = tradeContext(KEYS);
    const port = { kind: 'dir' as const, hash: 'sha256:model', path: model, json: () => Promise.reject(), table: () => Promise.reject(), bytes: () => Promise.reject() };
    const out = (await runTrade(ctx, { ...fast(server), dry_run: true }, { features: tableInput(featureTable(5)), model: port })) as Record<string, Artifact>;
    const orders = out.orders!.kind === 'table' ? out.orders!.table : undefined;
    assert.equal(rowsOf(orders!).map((r) => [r.tic, r.side, r.qty]), [['AAA', 'sell', 20], ['CCC', 'sell', 5], ['BBB', 'buy', 1], ['DDD', 'buy', 64]]);
    assert.not.ok(ctx.logs.some((l) => l.includes('stale')));
    server.state.clock = '2024-03-11T10:30:00.000-04:00';
    const stale = tradeContext(KEYS);
    await trade(server, model, stale, { dry_run: true });
    assert.ok(stale.logs.includes('warn: the features end on 2024-03-05, 6 days before today (2024-03-11): stale data? The decision is the one for 2024-03-05'), stale.logs.join('\n'));
  } finally {
    await server.close();
  }
});

test('paper never reaches the live endpoint; live needs confirm_live and refuses the paper endpoint', async () => {
  const plugin = (await import('../../steps/trade.alpaca/plugin.ts')).default;
  assert.equal(plugin.check!({ mode: 'live' }), [{ path: ['confirm_live'], message: '`mode: live` trades real money and needs `confirm_live: true`' }]);
  assert.equal(plugin.check!({ mode: 'live', confirm_live: true, endpoint: 'https://paper-api.alpaca.markets' }), [
    { path: ['endpoint'], message: "mode live refuses Alpaca's paper endpoint https://paper-api.alpaca.markets; use `mode: paper` for paper trading" },
  ]);
  const ctx = testStepContext({ secrets: KEYS, env: { APCA_API_BASE_URL: 'https://api.alpaca.markets/' } });
  const model = await writeAgent({ fixed: [0, 0, 0, 0] });
  const message = await failure(runTrade(ctx, { model, env: ENV }, { features: tableInput(featureTable(3)) }));
  assert.is(message, "trade.alpaca: mode paper refuses Alpaca's live endpoint https://api.alpaca.markets; set `mode: live` and `confirm_live: true` to trade real money");
});

test('flatten (the kill switch): cancels working orders, closes every position, no model needed', async () => {
  const features = featureTable(5);
  const server = await alpacaServer({ cash: 1000, prices: { ...lastCloses(features), ZZZ: 12 }, positions: { AAA: 30, ZZZ: 7 }, fillAfterPolls: 1000 });
  try {
    server.orders.push({ ...structuredClone(await openOrder(server)) });
    server.state.fillAfterPolls = 0;
    const ctx = tradeContext(KEYS);
    const out = (await runTrade(ctx, { ...fast(server), flatten: true }, {})) as Record<string, Artifact>;
    const orders = out.orders!.kind === 'table' ? out.orders!.table : undefined;
    assert.equal(rowsOf(orders!).map((r) => [r.tic, r.side, r.qty, r.status, r.reason]), [
      ['AAA', 'sell', 30, 'filled', 'flatten'],
      ['ZZZ', 'sell', 7, 'filled', 'flatten'],
    ]);
    assert.is(server.orders[0]!.status, 'canceled');
    assert.equal([...server.state.positions], []);
    assert.ok(server.requests.some((r) => r.method === 'DELETE' && r.path === `/v2/orders/${server.orders[0]!.id}`));
  } finally {
    await server.close();
  }
});

/** A working (unfilled) buy placed by someone else, through the API. */
async function openOrder(server: AlpacaServer) {
  const response = await fetch(`${server.url}/v2/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'apca-api-key-id': KEYS.ALPACA_API_KEY, 'apca-api-secret-key': KEYS.ALPACA_API_SECRET },
    body: JSON.stringify({ symbol: 'BBB', side: 'buy', qty: '2', type: 'market', time_in_force: 'day', client_order_id: 'manual-1' }),
  });
  const order = await response.json();
  server.orders.length = 0;
  server.posts.length = 0;
  return order;
}

test.run();
