import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { table } from '../../engine/table/table.ts';
import { dailyReturns, perfStats, statsToJson, PERF_STAT_NAMES } from '../../steps/lib/perf-stats/perf-stats.ts';
import { scopeIds } from '../../steps/report/charts.ts';
import { html } from '../../steps/report/html.ts';
import { reportModel, type ReportInputs } from '../../steps/report/model.ts';
import { formatStat } from '../../steps/report/page.ts';
import { agentTrajectory, baselineTrajectory, fixtureAccount, fixtureStats, TICKERS, trainingCurveTable } from './synthetic.ts';

const OPTIONS = { labels: {}, rollingWindow: 63 };

test('stats: a stats input is shown as given; a baseline without one gets perf_stats of its trajectory', () => {
  const baseline = baselineTrajectory('bh', 0.0004, 0.01);
  const model = reportModel(
    { series: [{ key: 'agent', trajectory: agentTrajectory(), stats: fixtureStats() }, { key: 'buy_and_hold', trajectory: baseline }] },
    { labels: { buy_and_hold: 'B&H' }, rollingWindow: 63 },
  );
  const [agent, bh] = model.stats.columns;
  assert.equal(agent, { key: 'agent', label: 'Agent', values: fixtureStats(), given: true });
  const expected = statsToJson(perfStats(dailyReturns(baseline.columns.account_value as Float64Array)));
  assert.equal(bh, { key: 'buy_and_hold', label: 'B&H', values: expected, given: false });
  assert.equal(model.stats.names, [...PERF_STAT_NAMES]);
});

test('stats: computed from the trajectory they equal the golden pyfolio numbers', () => {
  const model = reportModel({ series: [{ key: 'agent', trajectory: agentTrajectory() }] }, OPTIONS);
  const computed = model.stats.columns[0]!.values;
  for (const [name, value] of Object.entries(fixtureStats())) {
    if (value === null) assert.is(computed[name], null, name);
    else assert.ok(Math.abs(computed[name]! - value) <= 1e-12 * Math.abs(value), `${name}: ${computed[name]} vs ${value}`);
  }
});

test('stats: extra stats of a stats input get rows after pyfolio\'s, and a stats-only baseline gets a column', () => {
  const model = reportModel(
    { series: [{ key: 'agent', trajectory: agentTrajectory(), stats: { ...fixtureStats(), 'Final value': 1082533 } }, { key: 'index', stats: { 'Sharpe ratio': 0.7 } }] },
    OPTIONS,
  );
  assert.equal(model.stats.names, [...PERF_STAT_NAMES, 'Final value']);
  assert.equal(model.stats.columns.map((c) => c.key), ['agent', 'index']);
  assert.equal(model.series.map((s) => s.key), ['agent']);
});

test('series: drawdown and rolling Sharpe per series, positions of the agent from shares_<tic>', () => {
  const model = reportModel({ series: [{ key: 'agent', trajectory: agentTrajectory() }, { key: 'min_variance', trajectory: baselineTrajectory('mv', 0, 0.005) }] }, { labels: {}, rollingWindow: 21 });
  const agent = model.series[0]!;
  assert.equal(agent.dates, fixtureAccount().dates);
  assert.ok(Number.isNaN(agent.rollingSharpe[20]!) && Number.isFinite(agent.rollingSharpe[21]!));
  assert.ok(agent.drawdown.every((d) => d <= 0));
  assert.equal(model.positions.tickers, TICKERS);
  assert.is(model.series[1]!.label, 'Min variance');
});

test('training curve: every numeric column against total_timesteps; all-NaN columns listed as empty', () => {
  const model = reportModel({ series: [{ key: 'agent', trajectory: agentTrajectory() }], curve: trainingCurveTable() }, OPTIONS);
  assert.is(model.curve!.x, 'total_timesteps');
  assert.equal(model.curve!.metrics.map((m) => m.name), ['ep_rew_mean', 'value_loss', 'approx_kl', 'entropy_loss', 'explained_variance', 'learning_rate']);
  assert.equal(model.curve!.empty, ['unused']);
});

function throws(inputs: ReportInputs, message: string) {
  try {
    reportModel(inputs, OPTIONS);
  } catch (error) {
    assert.is((error as Error).message, message);
    return;
  }
  assert.unreachable(`expected: ${message}`);
}

test('bad inputs: one message naming the port and what was expected', () => {
  const dates = ['2021-01-04', '2021-01-05', '2021-01-06'];
  throws({ series: [{ key: 'agent', trajectory: table({ day: dates, account_value: new Float64Array([1, 2, 3]) }) }] }, 'input `trajectory`: expected a string column `date`, found columns day, account_value');
  throws({ series: [{ key: 'agent', trajectory: table({ date: dates, value: new Float64Array([1, 2, 3]) }) }] }, 'input `trajectory`: expected a numeric column `account_value`, found columns date, value');
  throws({ series: [{ key: 'agent', trajectory: table({ date: dates, account_value: ['1', '2', '3'] }) }] }, 'input `trajectory`: expected a numeric column `account_value`, found a column of strings');
  throws({ series: [{ key: 'agent', trajectory: table({ date: ['2021-01-04', '5 Jan', '2021-01-06'], account_value: new Float64Array([1, 2, 3]) }) }] }, 'input `trajectory`: row 2: expected a date YYYY-MM-DD in `date`, found "5 Jan"');
  throws({ series: [{ key: 'agent', trajectory: table({ date: ['2021-01-04', '2021-01-06', '2021-01-05'], account_value: new Float64Array([1, 2, 3]) }) }] }, 'input `trajectory`: row 3: dates must increase, 2021-01-05 follows 2021-01-06');
  throws({ series: [{ key: 'agent', trajectory: agentTrajectory() }, { key: 'index', trajectory: table({ date: dates, account_value: new Float64Array([1, NaN, 3]) }) }] }, 'input `index_trajectory`: row 2 (2021-01-05): expected a positive `account_value`, found NaN');
  throws({ series: [{ key: 'agent', trajectory: agentTrajectory(), stats: { 'Sharpe ratio': '0.5' } }] }, 'input `stats`: stat `Sharpe ratio`: expected a number or null, found "0.5"');
  throws({ series: [{ key: 'agent', trajectory: agentTrajectory(), stats: [1] }] }, 'input `stats`: expected a JSON object of stat name -> number, found an array');
  throws({ series: [{ key: 'agent', trajectory: agentTrajectory() }], curve: table({ loss: new Float64Array([1]) }) }, 'input `curve`: expected a timestep column (one of `timesteps`, `total_timesteps`, `timestep`, `step`), found columns loss');
});

test('stat display follows pyfolio: percentages with one decimal, ratios with two, missing as a dash', () => {
  assert.is(formatStat('Annual return', 0.08219376044351545), '8.2%');
  assert.is(formatStat('Max drawdown', -0.16484273152176737), '-16.5%');
  assert.is(formatStat('Sharpe ratio', 0.5016244161372184), '0.50');
  assert.is(formatStat('Skew', null), '—');
});

test('html: interpolated text is escaped, nested markup is not', () => {
  const label = 'Buy & hold <b>"x"</b>';
  assert.is(html`<td title="${label}">${html`<i>${label}</i>`}</td>`.markup, '<td title="Buy &amp; hold &lt;b&gt;&quot;x&quot;&lt;/b&gt;">' + '<i>Buy &amp; hold &lt;b&gt;&quot;x&quot;&lt;/b&gt;</i></td>');
});

test('scopeIds: zrender ids renamed in order of appearance, whatever their process-wide counters', () => {
  const svg = '<g clip-path="url(#zr7-c3)"><path class="zr7-cls-41"/></g><clipPath id="zr7-c3"/><style>.zr7-cls-41:hover{}</style>';
  assert.is(scopeIds(svg, 'chart2'), '<g clip-path="url(#chart2-0)"><path class="chart2-1"/></g><clipPath id="chart2-0"/><style>.chart2-1:hover{}</style>');
});

test.run();
