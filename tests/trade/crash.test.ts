/**
 * trade.alpaca through the real CLI, over HTTP: a `tradepipe run` killed with SIGKILL
 * after its second of four orders, then rerun, sends exactly the remaining two; a
 * same-day rerun sends nothing; wrong keys exit 1; the journal lists the runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { toCsv } from '../../engine/sdk.ts';
import { BIN, project, REPO, type Project } from '../helpers/project.ts';
import { alpacaServer, KEYS, type AlpacaServer } from './alpaca-server.ts';
import { featureTable, writeAgent } from './fixtures.ts';

async function setup(): Promise<{ p: Project; server: AlpacaServer }> {
  const features = featureTable(5);
  const model = await writeAgent({ fixed: [-0.2, 0.5, -1, 1] });
  const p = project({
    'features.csv': await toCsv(features),
    'p.yaml': `steps:
  features: { uses: ingest.table, with: { path: features.csv } }
  trade:
    uses: trade.alpaca
    inputs: { features: features.table }
    with:
      model: ${JSON.stringify(model)}
      env: { hmax: 100, buy_cost_pct: 0.001, sell_cost_pct: 0.001, tech_indicator_list: [macd, rsi_30], turbulence_threshold: 50 }
      attempts: 2
      retry_delay_ms: 1
      poll_interval_ms: 5
      poll_timeout_s: 5
`,
  });
  const server = await alpacaServer({ cash: 10000, prices: { AAA: 41.73, BBB: 85.12, CCC: 131.16, DDD: 177.97 }, positions: { AAA: 30, CCC: 5 } });
  return { p, server };
}

const tradepipe = (p: Project, server: AlpacaServer, args: string[], keys: Record<string, string> = KEYS) =>
  execa(BIN, args, { cwd: p.dir, reject: false, env: { NO_COLOR: '1', MLFLOW_TRACKING_URI: '', APCA_API_BASE_URL: server.url, ...keys } });

const sent = (server: AlpacaServer) => server.posts.map((o) => `${o.side} ${o.qty} ${o.symbol}`);

test('kill -9 after the 2nd of 4 orders: the rerun sends exactly the other 2, from the same decision; a same-day rerun sends nothing', async () => {
  const { p, server } = await setup();
  try {
    let killed: Promise<unknown> | undefined;
    const first = tradepipe(p, server, ['run', 'p.yaml']);
    server.onPost = (_, n) => {
      if (n !== 2) return 'handle';
      // The order lands; its sender dies before the answer reaches it.
      first.kill('SIGKILL');
      killed = first;
      return 'land-and-hang';
    };
    const crashed = await first;
    assert.ok(killed, `the run reached the second order (exit ${crashed.exitCode}):\n${crashed.stderr}`);
    assert.is(crashed.signal, 'SIGKILL');
    assert.equal(sent(server), ['sell 20 AAA', 'sell 5 CCC']);
    server.onPost = () => 'handle';

    // The account now holds the sells' proceeds; deciding again from it would sell 10 more AAA and buy differently.
    const rerun = await tradepipe(p, server, ['run', 'p.yaml']);
    assert.is(rerun.exitCode, 0, rerun.stderr);
    assert.equal(sent(server), ['sell 20 AAA', 'sell 5 CCC', 'buy 1 BBB', 'buy 64 DDD']);
    assert.is(new Set(server.orders.map((o) => o.client_order_id)).size, 4);

    const again = await tradepipe(p, server, ['run', 'p.yaml']);
    assert.is(again.exitCode, 0, again.stderr);
    assert.is(server.posts.length, 4, 'a same-day rerun sends nothing');

    const journal = await tradepipe(p, server, ['show', 'p.yaml', 'trade.orders', '--history', '--format', 'json']);
    assert.is(journal.exitCode, 0, journal.stderr);
    const runs = JSON.parse(journal.stdout) as { run: string; value: { tic: string; status: string; filled_qty: number }[] }[];
    // The killed run left no record; the two that finished decided the same day under the same key.
    assert.is(runs.length, 1);
    assert.equal(runs[0]!.value.map((r) => [r.tic, r.status, r.filled_qty]), [['AAA', 'filled', 20], ['CCC', 'filled', 5], ['BBB', 'filled', 1], ['DDD', 'filled', 64]]);
  } finally {
    await server.close();
    p.cleanup();
  }
});

test('wrong keys: a clear error, exit 1, nothing sent, no key in the output', async () => {
  const { p, server } = await setup();
  try {
    const wrong = { ALPACA_API_KEY: 'PKWRONGKEY42', ALPACA_API_SECRET: 'wrongsecretvalue42' };
    const r = await tradepipe(p, server, ['run', 'p.yaml'], wrong);
    assert.is(r.exitCode, 1);
    assert.ok(r.stderr.includes('alpaca GET /v2/clock: HTTP 401: request is not authorized: check ALPACA_API_KEY and ALPACA_API_SECRET'), r.stderr);
    assert.not.ok(`${r.stdout}${r.stderr}`.includes('wrongsecretvalue42'));
    assert.not.ok(`${r.stdout}${r.stderr}`.includes('PKWRONGKEY42'));
    assert.is(server.posts.length, 0);
  } finally {
    await server.close();
    p.cleanup();
  }
});

test('the shipped kill switch (pipelines.d/kill_switch.yaml) closes every position; paper_trading.yaml validates', async () => {
  const { p, server } = await setup();
  try {
    p.write('pipelines.d/kill_switch.yaml', readFileSync(join(REPO, 'pipelines.d/kill_switch.yaml'), 'utf8'));
    const r = await tradepipe(p, server, ['run', 'pipelines.d/kill_switch.yaml']);
    assert.is(r.exitCode, 0, r.stderr);
    assert.equal(sent(server), ['sell 30 AAA', 'sell 5 CCC']);
    assert.equal([...server.state.positions], []);
    const paper = await execa(BIN, ['validate', 'pipelines.d/paper_trading.yaml'], { cwd: REPO, reject: false });
    assert.is(paper.stdout, 'pipelines.d/paper_trading.yaml: valid (3 steps)', paper.stderr);
  } finally {
    await server.close();
    p.cleanup();
  }
});

test.run();
