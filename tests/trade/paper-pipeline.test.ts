/**
 * The shipped pipelines.d/paper_trading.yaml end to end through the CLI: Alpaca bars
 * (a local server in the data API's wire format) -> FinRL indicators and turbulence ->
 * trade.alpaca with the registry's champion, against the local trading server.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, project, REPO } from '../helpers/project.ts';
import { alpacaServer, KEYS } from './alpaca-server.ts';
import { writeAgent } from './fixtures.ts';

// config/data_sources.yaml#/alpaca, in the features' (sorted) order, and global_vars INDICATORS.
const TICKERS = ['AAPL', 'DIS', 'HD', 'JNJ', 'JPM', 'MSFT', 'PG', 'UNH', 'V', 'WMT'];
const INDICATORS = ['macd', 'boll_ub', 'boll_lb', 'rsi_30', 'cci_30', 'dx_30', 'close_30_sma', 'close_60_sma'];
const ACTIONS = [0.5, 0, -0.4, 0.3, 0, 0.2, 0, 0, -1, 0.1];

const close = (i: number, day: number) => Math.round((40 + 15 * i) * Math.exp(0.0002 * (i - 4) * day) * (1 + 0.1 * Math.sin(day / 9 + i)) * 100) / 100;

/** GET /v2/stocks/bars for any range: a bar per weekday and symbol, paged with next_page_token. */
async function barsServer() {
  const http = createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    const symbols = (url.searchParams.get('symbols') ?? '').split(',').sort();
    const start = Date.parse(url.searchParams.get('start')!);
    const end = Date.parse(url.searchParams.get('end')!);
    const all: { s: string; bar: Record<string, unknown> }[] = [];
    for (const s of symbols) {
      const i = TICKERS.indexOf(s);
      for (let t = Date.UTC(2022, 0, 3), day = 0; t <= end; t += 86_400_000, day++) {
        const weekday = new Date(t).getUTCDay();
        if (weekday === 0 || weekday === 6 || t + 5 * 3_600_000 < start) continue;
        const c = close(i, day);
        all.push({ s, bar: { t: new Date(t + 5 * 3_600_000).toISOString().replace('.000', ''), o: c, h: c * 1.01, l: c * 0.99, c, v: 1_000_000 + day, n: 1000, vw: c } });
      }
    }
    const from = Number(url.searchParams.get('page_token') ?? 0);
    const page = all.slice(from, from + 5000);
    const bars: Record<string, unknown[]> = {};
    for (const { s, bar } of page) (bars[s] ??= []).push(bar);
    const body = JSON.stringify({ bars, next_page_token: from + 5000 < all.length ? String(from + 5000) : null, currency: 'USD' });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => http.close(() => resolve())) };
}

const COPY_MODEL = `import { cp } from 'node:fs/promises';
import { join } from 'node:path';
export default {
  name: 'copy-model', version: '1', description: 'a trained agent directory as an output',
  paramsSchema: { type: 'object', required: ['from'], properties: { from: { type: 'string' } } },
  inputs: {}, outputs: { model: {} },
  async run(ctx, params) {
    const dir = join(ctx.scratchDir, 'model');
    await cp(params.from, dir, { recursive: true });
    return { model: { kind: 'dir', path: dir } };
  },
};
`;

test('pipelines.d/paper_trading.yaml: bars -> indicators + turbulence -> the champion trades once per day', async () => {
  const bars = await barsServer();
  const model = await writeAgent({ fixed: ACTIONS, tickers: TICKERS, indicators: INDICATORS });
  const p = project({
    'copy-model.mjs': COPY_MODEL,
    'champion.yaml': `plugins: { copy-model: ./copy-model.mjs }
steps:
  agent: { uses: copy-model, with: { from: ${JSON.stringify(model)} } }
  register: { uses: registry.register, inputs: { artifact: agent.model }, with: { name: finrl_ppo, alias: champion } }
`,
  });
  for (const dir of ['config', 'pipelines.d']) cpSync(join(REPO, dir), join(p.dir, dir), { recursive: true });
  const trading = await alpacaServer({ cash: 100_000, prices: {} });
  trading.state.clock = new Date().toISOString();
  try {
    const registered = await p.runJson('champion.yaml');
    assert.is(registered.code, 0, registered.stderr);
    const run = () =>
      execa(BIN, ['run', 'pipelines.d/paper_trading.yaml', '--set', `ohlcv.endpoint=${bars.url}`], {
        cwd: p.dir,
        reject: false,
        env: { NO_COLOR: '1', MLFLOW_TRACKING_URI: '', APCA_API_BASE_URL: trading.url, ...KEYS },
      });
    const features = await execa(BIN, ['run', 'pipelines.d/paper_trading.yaml', 'features', '--set', `ohlcv.endpoint=${bars.url}`, '--json'], {
      cwd: p.dir,
      reject: false,
      env: { NO_COLOR: '1', MLFLOW_TRACKING_URI: '', ...KEYS },
    });
    assert.is(features.exitCode, 0, features.stderr);
    const shown = await p.run(["show", "pipelines.d/paper_trading.yaml", "features.features", "--format", "json"]);
    if (shown.code !== 0) throw new Error(shown.stderr);
    const table = JSON.parse(shown.stdout) as { date: string; tic: string; close: number; turbulence: number }[];
    const last = table.filter((r) => r.date === table[table.length - 1]!.date);
    assert.equal(last.map((r) => r.tic), TICKERS);
    assert.ok(table.some((r) => r.turbulence > 0), 'turbulence computed over the lookback');
    // The broker fills at the features' last closes.
    for (const r of last) trading.state.prices.set(r.tic, r.close);

    const first = await run();
    assert.is(first.exitCode, 0, first.stderr);
    // A fresh account: buys of the tickers with positive actions, nothing else.
    assert.equal(trading.posts.map((o) => `${o.side} ${o.symbol}`).sort(), ['buy AAPL', 'buy JNJ', 'buy MSFT', 'buy WMT']);
    assert.ok(trading.posts.every((o) => o.client_order_id.startsWith(`tp-${last[0]!.date}-${o.symbol}-buy-`)));
    const again = await run();
    assert.is(again.exitCode, 0, again.stderr);
    assert.is(trading.posts.length, 4, 'the same day again sends nothing');
    const orders = JSON.parse((await p.run(['show', 'pipelines.d/paper_trading.yaml', 'trade.orders', '--format', 'json'])).stdout) as { tic: string; status: string }[];
    assert.equal(orders.map((o) => [o.tic, o.status]), [['AAPL', 'filled'], ['JNJ', 'filled'], ['MSFT', 'filled'], ['WMT', 'filled']]);
  } finally {
    await trading.close();
    await bars.close();
    p.cleanup();
  }
});

test.run();
