import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { numberColumn, stringColumn, type Artifact, type Table } from '../../engine/sdk.ts';
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
    assert.is(ctx.metrics.get('orders filled'), 4);
    assert.is(ctx.metrics.get('orders rejected'), 0);

    const rerun = await trade(server, model, tradeContext(KEYS, ctx.stateDir), {}, features);
    assert.is(server.posts.length, 4, 'no new POST');
    assert.equal(rowsOf(rerun.orders).map((r) => [r.tic, r.status]), rows.map((r) => [r.tic, r.status]));
  } finally {
    await server.close();
  }
});

test.run();
