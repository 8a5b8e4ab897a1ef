/**
 * The report page: one HTML file with inline CSS and inline SVG charts, no script and
 * no external resource, so it opens from disk with no network. The same inputs give the
 * same bytes: nothing here reads the clock.
 */
import type { RunInfo } from '../../engine/sdk.ts';
import { html, trusted, type Markup } from './html.ts';
import type { ReportModel, SeriesModel, StatsColumn } from './model.ts';

export interface PageCharts {
  equity: string;
  drawdown: string;
  rollingSharpe: string;
  /** One small chart per ticker. */
  positions: { name: string; svg: string }[];
  /** One small chart per metric. */
  curve: { name: string; svg: string }[];
}

export interface PageMeta {
  title: string;
  /** The report step's own id and params. */
  stepId: string;
  params: Readonly<Record<string, unknown>>;
  /** Input port -> content hash. */
  inputs: Readonly<Record<string, string>>;
  run?: RunInfo;
  /** Charting library credit, e.g. `Apache ECharts 6.1.0`. */
  renderer: string;
}

/** pyfolio's `show_perf_stats` shows these as percentages with one decimal, the rest with two decimals. */
const PERCENT_STATS = new Set(['Annual return', 'Cumulative returns', 'Annual volatility', 'Max drawdown', 'Daily value at risk']);

export function formatStat(name: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return PERCENT_STATS.has(name) ? `${(value * 100).toFixed(1)}%` : value.toFixed(2);
}

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });

export function renderPage(model: ReportModel, charts: PageCharts, meta: PageMeta): string {
  const agent = model.series[0]!;
  const agentStats = model.stats.columns.find((c) => c.key === 'agent');
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${meta.title}</title>
<style>${trusted(CSS)}</style>
</head>
<body>
<main>
<header>
<h1>${meta.title}</h1>
<p class="subtitle">${agent.label} · ${agent.dates[0]} to ${agent.dates[agent.dates.length - 1]} · ${agent.dates.length} trading days</p>
${kpis(agent, agentStats)}
</header>
${section('equity', 'Equity curve', 'Account value of the agent and of each baseline.', figure('equity', charts.equity))}
${section('drawdown', 'Drawdown', 'Fall of the account value below its running peak (pyfolio’s underwater plot).', figure('drawdown', charts.drawdown))}
${section('rolling-sharpe', `Rolling Sharpe ratio (${model.rollingWindow} days)`, `Mean over standard deviation of the daily returns in a ${model.rollingWindow}-day window, annualised with √252 (pyfolio’s rolling_sharpe).`, figure('rolling-sharpe', charts.rollingSharpe))}
${section('stats', 'Performance statistics', 'pyfolio perf_stats: daily returns, 252 periods a year, risk-free rate 0.', statsTable(model.stats.names, model.stats.columns))}
${section('positions', 'Positions', `Shares of each ticker held by ${agent.label}, each on its own scale.`, charts.positions.length > 0 ? smallMultiples('positions', charts.positions, 4) : html`<p class="empty">The trajectory has no <code>shares_&lt;ticker&gt;</code> columns.</p>`)}
${model.curve ? section('training', 'Training curve', `Each logged metric against ${model.curve.x}.${model.curve.empty.length > 0 ? ` No values logged for ${model.curve.empty.join(', ')}.` : ''}`, smallMultiples('curve', charts.curve, 3)) : ''}
${section('pipeline', 'Pipeline', '', metadata(meta))}
<footer>Built by the tradepipe <code>report</code> step <code>${meta.stepId}</code>. Charts drawn with ${meta.renderer} as inline SVG.</footer>
</main>
</body>
</html>
`;
  return page.markup;
}

function section(id: string, title: string, note: string, body: Markup): Markup {
  return html`<section id="${id}">
<h2>${title}</h2>
${note ? html`<p class="note">${note}</p>` : ''}
${body}
</section>`;
}

function figure(name: string, svg: string, caption?: string): Markup {
  return html`<figure class="chart" data-chart="${name}">${caption ? html`<figcaption>${caption}</figcaption>` : ''}${trusted(svg)}</figure>`;
}

function smallMultiples(kind: string, charts: readonly { name: string; svg: string }[], columns: number): Markup {
  return html`<div class="small-multiples" style="grid-template-columns: repeat(${columns}, 1fr)">${charts.map((c) => figure(`${kind}:${c.name}`, c.svg, c.name))}</div>`;
}

function kpis(agent: SeriesModel, stats: StatsColumn | undefined): Markup {
  const tile = (label: string, value: string) => html`<div class="kpi"><span>${label}</span><strong>${value}</strong></div>`;
  const stat = (name: string) => tile(name, formatStat(name, stats?.values[name]));
  return html`<div class="kpis">
${tile('Final account value', money.format(agent.values[agent.values.length - 1]!))}
${stat('Cumulative returns')}${stat('Annual return')}${stat('Sharpe ratio')}${stat('Max drawdown')}
</div>`;
}

/** Exact values sit in `data-value` (and the tooltip); the cell shows pyfolio's rounding. */
function statsTable(names: readonly string[], columns: readonly StatsColumn[]): Markup {
  return html`<table class="stats">
<thead>
<tr><th>Statistic</th>${columns.map((c) => html`<th data-series="${c.key}">${c.label}</th>`)}</tr>
<tr class="source"><th></th>${columns.map((c) => html`<th>${c.given ? 'stats input' : 'from trajectory'}</th>`)}</tr>
</thead>
<tbody>
${names.map(
  (name) => html`<tr data-stat="${name}"><th>${name}</th>${columns.map((c) => {
    const value = c.values[name];
    return html`<td data-series="${c.key}" data-value="${value === undefined ? 'missing' : String(value)}" title="${value === undefined || value === null ? 'not available' : String(value)}">${formatStat(name, value)}</td>`;
  })}</tr>
`,
)}</tbody>
</table>`;
}

function metadata(meta: PageMeta): Markup {
  const run = meta.run;
  const params = (value: unknown) => html`<details><summary>params</summary><pre>${JSON.stringify(value, null, 2)}</pre></details>`;
  const runFacts = run
    ? html`<dl class="facts">
<dt>Pipeline</dt><dd><code>${run.pipeline}</code></dd>
<dt>Run</dt><dd><code>${run.runId}</code>, started ${run.startedAt}</dd>
<dt>Git commit</dt><dd>${run.git.commit ? html`<code>${run.git.commit}</code>${run.git.dirty ? ' (uncommitted changes)' : ''}` : 'not a git checkout'}</dd>
</dl>
<p class="note">As things stood when this report was built. A later run that finds every input unchanged reuses this report, so it keeps describing the run that built it.</p>
<table class="steps">
<thead><tr><th>Step</th><th>Plugin</th><th>Status</th><th>Params</th></tr></thead>
<tbody>
${run.steps.map(
  (s) => html`<tr data-step="${s.id}"><td><code>${s.id}</code></td><td><code>${s.uses}</code></td><td><span class="status ${s.status}">${s.status}</span>${s.producedIn ? html` <small>from run <code>${s.producedIn}</code></small>` : ''}</td><td>${params(s.params)}</td></tr>
`,
)}</tbody>
</table>`
    : html`<p class="empty">The engine gave this step no run metadata (git commit, the other steps’ params and cache status).</p>`;
  return html`${runFacts}
<h3>This report</h3>
<dl class="facts">
<dt>Step</dt><dd><code>${meta.stepId}</code></dd>
${Object.entries(meta.inputs).map(([port, hash]) => html`<dt>Input <code>${port}</code></dt><dd><code title="${hash}">${hash.slice(0, 19)}…</code></dd>`)}
</dl>
${params(meta.params)}`;
}

const CSS = `
:root { color-scheme: light; --text: #111827; --muted: #6b7280; --line: #e5e7eb; --panel: #f9fafb; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--text); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1008px; margin: 0 auto; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 4px; padding-top: 12px; border-top: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
.subtitle, .note, footer { color: var(--muted); }
.note { margin: 0 0 8px; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 16px; }
.kpi { flex: 1 1 150px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.kpi span { display: block; color: var(--muted); font-size: 12px; }
.kpi strong { font-size: 20px; font-variant-numeric: tabular-nums; }
figure { margin: 0; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
.small-multiples { display: grid; gap: 12px 8px; }
.small-multiples figcaption { font-weight: 600; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.stats td, table.stats thead th:not(:first-child) { text-align: right; }
table.stats tr.source th { color: var(--muted); font-weight: normal; font-size: 12px; }
table.stats tbody th { font-weight: normal; }
.status { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; background: var(--line); }
.status.executed { background: #dbeafe; } .status.cached { background: #dcfce7; } .status.failed { background: #fee2e2; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 8px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
pre { margin: 4px 0; padding: 8px; background: var(--panel); border-radius: 6px; overflow-x: auto; font-size: 12px; }
summary { cursor: pointer; color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 32px; font-size: 12px; }
`;
