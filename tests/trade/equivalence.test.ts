/**
 * The orders trade.alpaca sends equal the shares the environment trades: on a fresh
 * account, backtest's first-day trades on a table starting at the decision date; from
 * an existing account, the env stepped from that state.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { numberColumn, selectRows, stringColumn, type Table } from '../../engine/sdk.ts';
import backtest from '../../steps/backtest/plugin.ts';
import { loadAgent } from '../../steps/lib/agent/load.ts';
import { StockTradingEnv, marketFromTable, parseEnvConfig } from '../../steps/lib/trading-env/index.ts';
import { resolveParams } from '../../engine/sdk-testing.ts';
import { alpacaServer, KEYS } from './alpaca-server.ts';
import { featureTable, INDICATORS, runTrade, tableInput, TICKERS, tradeContext, writeAgent } from './fixtures.ts';

const ENV = { hmax: 100, initial_amount: 100000, buy_cost_pct: 0.001, sell_cost_pct: 0.001, tech_indicator_list: INDICATORS as [string, ...string[]], turbulence_threshold: 40 };
const DECISION = '2024-03-05';

/** The rows of `t` up to and including `date`. */
function upTo(t: Table, date: string): Table {
  const dates = stringColumn(t, 'date');
  return selectRows(t, Int32Array.from({ length: dates.filter((d) => d! <= date).length }, (_, i) => i));
}

function closesOn(t: Table, date: string): Record<string, number> {
  const out: Record<string, number> = {};
  const dates = stringColumn(t, 'date');
  const tic = stringColumn(t, 'tic');
  const close = numberColumn(t, 'close');
  for (let r = 0; r < t.rows; r++) if (dates[r] === date) out[tic[r]!] = close[r]!;
  return out;
}

/** Non-zero trades as the orders they become: `BBB buy 12`. */
function asOrders(executed: ArrayLike<number>): string[] {
  return TICKERS.flatMap((tic, i) => (executed[i] === 0 ? [] : [`${tic} ${executed[i]! < 0 ? 'sell' : 'buy'} ${Math.abs(executed[i]!)}`])).sort();
}

async function sentOrders(features: Table, model: string, account: { cash: number; positions: Record<string, number> }): Promise<string[]> {
  const server = await alpacaServer({ cash: account.cash, positions: account.positions, prices: closesOn(features, DECISION) });
  try {
    await runTrade(tradeContext(KEYS), { endpoint: server.url, model, env: ENV, attempts: 1, poll_interval_ms: 1, poll_timeout_s: 1 }, { features: tableInput(upTo(features, DECISION)) });
    return server.posts.map((p) => `${p.symbol} ${p.side} ${p.qty}`).sort();
  } finally {
    await server.close();
  }
}

test("fresh account: the orders are backtest's first-day trades on a table that starts at the decision date", async () => {
  const features = featureTable(9);
  for (const seed of [3, 7, 11]) {
    const model = await writeAgent({ seed });
    const params = resolveParams(backtest, { policy: 'agent', model, env: ENV, start: DECISION });
    const out = await backtest.run(tradeContext({}), params, { data: tableInput(features) });
    const trajectory = out.trajectory!.kind === 'table' ? out.trajectory!.table : undefined;
    assert.is(stringColumn(trajectory!, 'date')[0], DECISION);
    const firstDay = TICKERS.map((tic) => numberColumn(trajectory!, `trade_${tic}`)[0]!);
    const expected = asOrders(firstDay);
    assert.ok(expected.length > 0, `seed ${seed} trades on the first day`);
    assert.equal(await sentOrders(features, model, { cash: ENV.initial_amount, positions: {} }), expected, `seed ${seed}`);
  }
});

test('existing account: the orders are what the env trades when stepped from that state (sells, buys, and a turbulent day)', async () => {
  const calm = featureTable(9);
  const turbulent = featureTable(9, { turbulence: [10, 10, 10, 10, 45, 10, 10, 10, 10] });
  const kinds = new Set<string>();
  for (const [features, seed] of [[calm, 5], [calm, 9], [turbulent, 5]] as const) {
    const model = await writeAgent({ seed });
    const agent = await loadAgent(model);
    const config = parseEnvConfig(ENV);
    const env = new StockTradingEnv(marketFromTable(features, { indicators: INDICATORS, riskColumn: 'turbulence' }), config);
    env.reset();
    const decisionDay = env.market.dates.indexOf(DECISION);
    for (let d = 0; d < decisionDay; d++) env.step(agent.act(env.state));
    const account = { cash: env.cash, positions: Object.fromEntries(TICKERS.map((tic, i) => [tic, env.holdings[i]!]).filter(([, q]) => q !== 0)) };
    env.step(agent.act(env.state));
    agent.dispose();
    const expected = asOrders(env.executed);
    for (const order of expected) kinds.add(order.split(' ')[1]!);
    assert.ok(expected.length > 0, `seed ${seed} trades on ${DECISION}`);
    assert.equal(await sentOrders(features, model, account), expected, `seed ${seed}`);
  }
  assert.equal([...kinds].sort(), ['buy', 'sell'], 'both sides covered');
});

test.run();
