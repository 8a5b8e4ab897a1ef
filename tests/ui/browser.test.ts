/**
 * `tradepipe ui` in a real headless Chromium, on the shipped `full_strategy` (shortened:
 * three tickers, four PPO updates), one project shared by every check: the graph's
 * statuses after a run, the train step's params and PPO curve, a table output paged,
 * a param edit turning the right nodes stale with the reason, a CLI run updating the
 * open page live, the runs page, and no run button or run API without --allow-run.
 * Leaves screenshots (graph, step panel, metrics, a stale step, runs) under tests/artifacts/ui/.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, project, REPO } from '../helpers/project.ts';
import { startUi } from './support.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts', 'ui');
const FILE = 'pipelines.d/full_strategy.yaml';
const SHORT = ['--set', 'ohlcv.tickers=[AAA, BBB, CCC]', '--set', 'train.total_timesteps=8192'];

test('full_strategy in the UI: statuses, step panel, paging, stale after an edit, live updates, runs, read-only', async () => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') assert.unreachable(`chromium not found at ${CHROMIUM} (CI=true: the browser test must run; apt-get install -y chromium)`);
    console.log(`SKIP ui/browser: chromium not found at ${CHROMIUM}`);
    return;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const p = project();
  for (const dir of ['config', 'hyperparameters', 'pipelines.d']) cpSync(join(REPO, dir), join(p.dir, dir), { recursive: true });
  const statusJson = async () => {
    const r = await p.run(['status', FILE, '--json', ...SHORT]);
    assert.is(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { steps: { id: string; status: string; reason: string }[] };
  };
  const cold = await p.run(['run', FILE, ...SHORT]);
  assert.is(cold.code, 0, cold.stderr);

  const ui = await startUi(p.dir, [FILE, ...SHORT]);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    const foreign: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => !r.url().startsWith(ui.origin) && !r.url().startsWith('data:') && foreign.push(r.url()));
    const nodeStatuses = () => page.$$eval('g.node[data-step]', (nodes) => Object.fromEntries(nodes.map((n) => [n.getAttribute('data-step'), n.getAttribute('data-status')])));
    const expected = (s: Awaited<ReturnType<typeof statusJson>>) => Object.fromEntries(s.steps.map((x) => [x.id, x.status]));

    // The graph after `npm start`'s pipeline ran: every step, up to date, matrix instances unfolded.
    await page.goto(ui.url);
    await page.waitForSelector('g.node[data-step="promote"]');
    const afterRun = await statusJson();
    assert.is(afterRun.steps.length, 16);
    assert.equal(await nodeStatuses(), expected(afterRun));
    assert.ok(afterRun.steps.every((s) => s.status === 'up-to-date'));
    assert.is(await page.locator('g.cluster[data-group="baseline"]').count(), 1, 'the matrix instances are grouped');
    assert.ok((await page.locator('text.edge-label', { hasText: 'model' }).count()) >= 1, 'edges carry their port labels');
    await page.screenshot({ path: join(ARTIFACTS, 'graph.png') });

    // Read-only: no run button anywhere, and the API refuses from the page itself.
    assert.is(await page.locator('button.run-pipeline').count(), 0);
    const refused = await page.evaluate(async () => {
      const r = await fetch('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ pipeline: 'full_strategy' }) });
      return [r.status, ((await r.json()) as { error: string }).error];
    });
    assert.equal(refused, [403, 'running is disabled: start `tradepipe ui` with --allow-run to allow it']);

    // Keyboard: arrows follow edges, Enter opens a step, Escape closes it and returns focus.
    const focusedStep = () => page.evaluate(() => document.activeElement?.getAttribute('data-step'));
    await page.focus('g.node[data-step="split"]');
    await page.keyboard.press('ArrowRight');
    assert.ok(['train', 'backtest', 'baseline@policy=buy_and_hold', 'baseline@policy=index', 'baseline@policy=min_variance'].includes((await focusedStep())!), 'right goes downstream');
    await page.keyboard.press('ArrowLeft');
    assert.is(await focusedStep(), 'split');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.panel:not([hidden]) pre.params');
    assert.is(await page.textContent('#panel-title'), 'split');
    await page.keyboard.press('Escape');
    assert.ok(await page.locator('.panel').isHidden());
    assert.is(await focusedStep(), 'split');
    // Search by step id; a matrix folds into one node with the worst status of its instances.
    await page.fill('input.search', 'policy=');
    assert.is(await page.textContent('.matches'), '3 matches');
    await page.fill('input.search', '');
    await page.click('g.cluster[data-group="baseline"] .cluster-toggle');
    const folded = page.locator('g.node[data-key="group:baseline"]');
    assert.is(await folded.getAttribute('data-status'), 'up-to-date');
    const foldedLabel = (await folded.getAttribute("aria-label"))!;
    assert.match(foldedLabel, /^baseline: matrix of 3 steps, up to date/, foldedLabel);
    await folded.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('g.node[data-step="baseline@policy=index"]');

    // The train step: plugin, params, the PPO curve (one point per update), the reason as --explain.
    await page.click('g.node[data-step="train"]');
    await page.waitForSelector('.panel pre.params');
    assert.match((await page.textContent('.panel pre.params')) ?? '', /"total_timesteps": 8192/);
    assert.match((await page.textContent('.panel .facts')) ?? '', /rl\.ppo/);
    assert.is(await page.locator('button.run-step').count(), 0);
    const curve = page.locator('figure.metric[data-metric="rollout/ep_rew_mean"]');
    await page.waitForFunction(() => [...document.querySelectorAll('figure.metric[data-metric="rollout/ep_rew_mean"] path')].some((p) => ((p.getAttribute('d') ?? '').match(/L/g) ?? []).length >= 3));
    await curve.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'step-metrics.png') });
    assert.ok((await page.locator('.panel table.key tbody tr').count()) > 10, 'every cache-key input is listed');
    await page.locator('.panel').evaluate((el) => (el.scrollTop = 0));
    await page.screenshot({ path: join(ARTIFACTS, 'step-panel.png') });

    // A table output, a page at a time, with its column types, equal to `tradepipe show`.
    await page.click('.panel .close');
    await page.click('g.node[data-step="features"]');
    await page.click('button[data-output="features"]');
    await page.waitForSelector('table.data caption');
    // Redirected by a shell: `show` writes synchronously, which a non-blocking pipe cuts short.
    const shown = join(p.dir, 'features.json');
    await execa('sh', ['-c', `"$0" show ${FILE} features.features --format json > features.json`, BIN], { cwd: p.dir });
    const rows = JSON.parse(readFileSync(shown, 'utf8')) as Record<string, unknown>[];
    assert.is(await page.textContent('table.data caption'), `features: rows 1–50 of ${rows.length.toLocaleString('en')}`);
    assert.ok(rows.length > 100);
    const headers = await page.$$eval('table.data thead th', (ths) => ths.map((th) => th.textContent));
    assert.ok(headers.includes('datestring') && headers.includes('closenumber'), headers.join(','));
    await page.click('.pager button.next');
    await page.waitForSelector(`table.data caption:has-text("rows 51–100")`);
    const firstOfPage2 = await page.$$eval('table.data tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
    assert.equal(firstOfPage2.slice(0, 2), [String(rows[50]!.date), String(rows[50]!.tic)]);

    // Edit a param: after a reload the affected nodes are stale, with the reason `status` gives.
    const yaml = readFileSync(join(p.dir, FILE), 'utf8');
    assert.ok(yaml.includes("policy: agent, start: '2021-01-01'"));
    writeFileSync(join(p.dir, FILE), yaml.replace("policy: agent, start: '2021-01-01'", "policy: agent, start: '2021-02-01'"));
    await page.goto(`${ui.origin}/#/pipeline/full_strategy/step/backtest`);
    await page.waitForSelector('.panel .reason');
    const edited = await statusJson();
    assert.equal(
      edited.steps.filter((s) => s.status === 'stale').map((s) => s.id).sort(),
      ['backtest', 'compare', 'promote', 'register', 'report'],
    );
    await page.waitForFunction(() => document.querySelector('g.node[data-step="backtest"]')?.getAttribute('data-status') === 'stale');
    assert.equal(await nodeStatuses(), expected(edited));
    const explain = JSON.parse((await p.run(['status', FILE, '--explain', 'backtest', '--json', ...SHORT])).stdout) as { reason: string };
    assert.is(explain.reason, 'param `start` "2021-01-01"→"2021-02-01"');
    assert.is(await page.textContent('.panel .reason'), explain.reason);
    assert.match((await page.getAttribute('g.node[data-step="report"]', 'aria-label'))!, /report: stale\. upstream `backtest` will run/);
    await page.locator('.panel tr[data-change="changed"]').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'step-stale.png') });

    // A CLI run while the page is open: nodes go running, then up to date, with no reload.
    await page.click('.panel .close');
    await page.evaluate(() => {
      const seen: [string, string][] = [];
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver((records) => {
        for (const r of records) {
          const el = r.target as Element;
          if (el.getAttribute('data-step')) seen.push([el.getAttribute('data-step')!, el.getAttribute('data-status')!]);
        }
      }).observe(document.querySelector('svg.graph')!, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
    });
    const rerun = await p.run(['run', FILE, ...SHORT]);
    assert.is(rerun.code, 0, rerun.stderr);
    await page.waitForFunction(() => [...document.querySelectorAll('g.node[data-step]')].every((n) => n.getAttribute('data-status') === 'up-to-date'), undefined, { timeout: 15_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: [string, string][] }).seen);
    const backtest = seen.filter(([id]) => id === 'backtest').map(([, s]) => s);
    assert.ok(backtest.indexOf('running') >= 0 && backtest.lastIndexOf('up-to-date') > backtest.indexOf('running'), `backtest went ${backtest.join(' → ')}`);
    assert.not.ok(seen.some(([id, s]) => id === 'train' && s === 'running'), 'a cached step never shows as running');
    assert.equal(expected(await statusJson()), await nodeStatuses());

    // Runs: the newest run's timeline shows its cache hits; two runs compared show the edit.
    await page.click('a.tab:has-text("Runs")');
    await page.waitForSelector('table.runs tbody tr:nth-child(2)');
    await page.click('table.runs tbody tr:first-child a');
    await page.waitForSelector('svg.gantt rect.gantt-bar');
    assert.is(await page.locator('svg.gantt rect.gantt-bar[data-status="executed"]').count(), 5);
    assert.is(await page.locator('svg.gantt rect.gantt-bar[data-status="cached"]').count(), 11);
    await page.screenshot({ path: join(ARTIFACTS, 'runs.png') });
    await page.check('table.runs tbody tr:nth-child(1) input');
    await page.check('table.runs tbody tr:nth-child(2) input');
    await page.click('button.compare-button');
    await page.waitForSelector('table.params-diff');
    const diff = await page.$$eval('table.params-diff tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.equal(diff, [['backtest.start', '2021-02-01', '2021-01-01']]);

    // The one expected: the refused POST above. A CSP violation would show here too.
    assert.equal(errors, ['Failed to load resource: the server responded with a status of 403 (Forbidden)'], 'console errors');
    assert.equal(foreign, [], 'the page loaded nothing from elsewhere');
  } finally {
    await browser.close();
    await ui.stop();
    p.cleanup();
  }
});

test('--allow-run: Run asks for confirmation with overrides, then the graph follows the run live', async () => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') assert.unreachable(`chromium not found at ${CHROMIUM}`);
    console.log(`SKIP ui/browser: chromium not found at ${CHROMIUM}`);
    return;
  }
  const p = project({
    'pipelines.d/p.yaml': `pipeline: small
steps:
  a: { uses: exec, with: { cmd: "mkdir -p out && echo 1 > out/a", outs: [out/a] } }
  b: { uses: exec, with: { cmd: "cat out/a > out/b", deps: [out/a], outs: [out/b] } }
`,
  });
  const ui = await startUi(p.dir, ['--allow-run']);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.goto(ui.url);
    await page.waitForSelector('g.node[data-step="b"][data-status="never-run"]');
    await page.click('button.run-pipeline');
    await page.waitForSelector('dialog.confirm[open]');
    assert.is(await page.textContent('#confirm-title'), 'Run small?');
    await page.fill('#overrides', 'not an override');
    await page.click('button.confirm-run');
    await page.waitForSelector('dialog.confirm .message:has-text("expected `step.param=value`")');
    await page.fill('#overrides', 'a.cmd=mkdir -p out && echo 2 > out/a');
    await page.click('button.confirm-run');
    await page.waitForSelector('dialog.confirm:not([open])', { state: 'attached' });
    // The run used the override, so against the file's params both steps are stale afterwards.
    await page.waitForFunction(() => document.querySelector('.live')?.textContent?.endsWith('succeeded'), undefined, { timeout: 30_000 });
    await page.waitForSelector('g.node[data-step="a"][data-status="stale"]');
    assert.is(readFileSync(join(p.dir, 'out/a'), 'utf8'), '2\n');
    await page.click('g.node[data-step="a"]');
    await page.waitForSelector('.panel .reason');
    assert.is(await page.textContent('.panel .reason'), 'param `cmd` "mkdir -p out && echo 2 > out/a"→"mkdir -p out && echo 1 > out/a"');
    assert.is(await page.textContent('button.run-step'), 'Run a…');
  } finally {
    await browser.close();
    await ui.stop();
    p.cleanup();
  }
});

test.run();
