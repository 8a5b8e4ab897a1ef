/**
 * The report in a real headless Chromium: it loads from disk with no console error and no
 * network request, every chart has drawn its series, and the stats table holds the stats
 * JSON. Leaves report.html and report.png under tests/artifacts/report/ for a person to look at.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dailyReturns, perfStats, statsToJson } from '../../steps/lib/perf-stats/perf-stats.ts';
import { jsonInput, runReport, sampleRun, tableInput } from './run-report.ts';
import { agentTrajectory, baselineTrajectory, fixtureStats, TICKERS, trainingCurveTable } from './synthetic.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts', 'report');

test('report in headless Chromium: no console errors, every chart drawn, table equals the stats JSON', async () => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') assert.unreachable(`chromium not found at ${CHROMIUM} (CI=true: the browser test must run; apt-get install -y chromium)`);
    console.log(`SKIP report/browser: chromium not found at ${CHROMIUM}`);
    return;
  }
  const buyAndHold = baselineTrajectory('bh', 0.0004, 0.011);
  const index = baselineTrajectory('index', 0.0003, 0.009);
  const minVariance = baselineTrajectory('mv', 0.0002, 0.006);
  const statsOf = (t: typeof index) => statsToJson(perfStats(dailyReturns(t.columns.account_value as Float64Array)));
  // The agent and buy-and-hold come with stats inputs; the index and min-variance columns are computed by the report.
  const expected: Record<string, Record<string, number | null>> = {
    agent: fixtureStats(),
    buy_and_hold: statsOf(buyAndHold),
    index: statsOf(index),
    min_variance: statsOf(minVariance),
  };
  const root = mkdtempSync(join(tmpdir(), 'report-browser-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, 'report.html');
  try {
    const page = await runReport(
      root,
      { title: 'Full strategy: PPO vs baselines', labels: { agent: 'PPO', buy_and_hold: 'Buy & hold', index: 'DJIA' } },
      {
        trajectory: tableInput(agentTrajectory()),
        stats: jsonInput(expected.agent),
        buy_and_hold_trajectory: tableInput(buyAndHold),
        buy_and_hold_stats: jsonInput(expected.buy_and_hold),
        index_trajectory: tableInput(index),
        min_variance_trajectory: tableInput(minVariance),
        curve: tableInput(trainingCurveTable()),
      },
      sampleRun(),
    );
    writeFileSync(file, page);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    assert.equal(errors, [], 'console errors');
    assert.equal(requests, [url], 'the page loaded something besides itself');

    // Series are drawn inside each chart's clipped plotting area; a real line has many segments.
    const marks = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => ({
        chart: f.getAttribute('data-chart'),
        lines: [...f.querySelectorAll('g[clip-path] path')].map((p) => p.getAttribute('d') ?? '').filter((d) => (d.match(/L/g) ?? []).length >= 10).length,
      })),
    );
    const curveMetrics = ['ep_rew_mean', 'value_loss', 'approx_kl', 'entropy_loss', 'explained_variance', 'learning_rate'];
    assert.equal(marks.map((m) => m.chart), ['equity', 'drawdown', 'rolling-sharpe', ...TICKERS.map((t) => `positions:${t}`), ...curveMetrics.map((m) => `curve:${m}`)]);
    const least: Record<string, number> = { equity: 4, drawdown: 4, 'rolling-sharpe': 4 };
    for (const m of marks) assert.ok(m.lines >= (least[m.chart!] ?? 1), `${m.chart}: ${m.lines} drawn series`);

    const cells = await page.$$eval('table.stats tbody td', (tds) =>
      tds.map((td) => ({ stat: td.closest('tr')!.getAttribute('data-stat')!, series: td.getAttribute('data-series')!, value: td.getAttribute('data-value')!, text: td.textContent! })),
    );
    assert.is(cells.length, 13 * 4);
    for (const cell of cells) {
      const want = expected[cell.series]![cell.stat];
      const what = `${cell.series} ${cell.stat}`;
      assert.ok(want !== undefined, `${what}: not in the stats JSON`);
      if (want === null) {
        assert.is(cell.value, 'null', what);
        assert.is(cell.text, '—', what);
        continue;
      }
      assert.is(Number(cell.value), want, what);
      // What a person reads: pyfolio's rounding (percent with 1 decimal, else 2 decimals).
      const percent = cell.text.endsWith('%');
      const shown = Number.parseFloat(cell.text);
      assert.ok(Math.abs(shown - (percent ? want * 100 : want)) <= (percent ? 0.05 : 0.005) + 1e-9, `${what}: shows ${cell.text} for ${want}`);
    }
    const headers = await page.$$eval('table.stats thead tr:first-child th', (ths) => ths.map((th) => th.textContent));
    assert.equal(headers, ['Statistic', 'PPO', 'Buy & hold', 'DJIA', 'Min variance']);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
  } finally {
    await browser.close();
  }
});

test.run();
