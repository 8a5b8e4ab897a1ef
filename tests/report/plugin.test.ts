import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../../engine/table/csv.ts';
import report from '../../steps/report/plugin.ts';
import { project } from '../helpers/project.ts';
import { jsonInput, runReport, sampleRun, tableInput } from './run-report.ts';
import { agentTrajectory, baselineTrajectory, fixtureStats, trainingCurveTable } from './synthetic.ts';

const inputs = () => ({
  trajectory: tableInput(agentTrajectory()),
  stats: jsonInput(fixtureStats()),
  buy_and_hold_trajectory: tableInput(baselineTrajectory('bh', 0.0004, 0.01)),
  curve: tableInput(trainingCurveTable()),
});

test('writes the report into scratch and a byte-identical copy at `out`; the same inputs give the same bytes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'report-'));
  try {
    const first = await runReport(root, { out: 'reports/full.html' }, inputs());
    assert.is(readFileSync(join(root, 'reports/full.html'), 'utf8'), first);
    assert.ok(first.startsWith('<!doctype html>'));
    const second = await runReport(root, { out: 'reports/full.html' }, inputs());
    assert.ok(second === first, 'a second render of the same inputs differs');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('self-contained: no script, no external URL', async () => {
  const root = mkdtempSync(join(tmpdir(), 'report-'));
  try {
    const page = await runReport(root, {}, inputs());
    assert.not.match(page, /<script/i);
    assert.not.match(page, /(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    assert.not.match(page, /@import|url\((?!#)/i);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('run metadata, when the engine gives it: pipeline, git commit, each step\'s status and params, escaped', async () => {
  const root = mkdtempSync(join(tmpdir(), 'report-'));
  const run = sampleRun();
  try {
    const page = await runReport(root, { title: 'Full <strategy>' }, inputs(), run);
    assert.match(page, '<title>Full &lt;strategy&gt;</title>');
    assert.match(page, '<code>0123456789abcdef0123456789abcdef01234567</code> (uncommitted changes)');
    assert.match(page, '<tr data-step="ohlcv"><td><code>ohlcv</code></td><td><code>ingest.ohlcv</code></td><td><span class="status cached">cached</span> <small>from run <code>20241231T000000-def456</code></small>');
    assert.match(page, '&quot;&lt;AAA&gt;&quot;');
    assert.match(page, '<span class="status executed">executed</span>');
    const without = await runReport(root, {}, inputs());
    assert.match(without, 'The engine gave this step no run metadata');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an input of the wrong kind is named', async () => {
  const root = mkdtempSync(join(tmpdir(), 'report-'));
  try {
    await runReport(root, {}, { trajectory: tableInput(agentTrajectory()), stats: tableInput(agentTrajectory()) });
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).message, 'input `stats`: expected a json artifact, found a table');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('`out` is a workspace out inside the project', () => {
  assert.equal(report.files!({ out: 'reports/a.html' }), { outs: ['reports/a.html'] });
  assert.equal(report.files!({}), {});
  assert.equal(report.check!({ out: 'reports/a.html' }), []);
  for (const out of ['../a.html', '/tmp/a.html', 'reports/../../a.html']) {
    assert.equal(report.check!({ out }), [{ path: ['out'], message: `expected a path inside the project, relative to its root, found ${JSON.stringify(out)}` }]);
  }
});

test('through the CLI: cached on the second run, and a deleted `out` is restored from the cache', async () => {
  const p = project({
    'data/agent.csv': toCsv(agentTrajectory()),
    'data/bh.csv': toCsv(baselineTrajectory('bh', 0.0004, 0.01)),
    'pipelines.d/report.yaml': `pipeline: report
steps:
  agent: { uses: ingest.table, with: { path: data/agent.csv } }
  bh: { uses: ingest.table, with: { path: data/bh.csv } }
  report:
    uses: report
    inputs: { trajectory: agent.table, buy_and_hold_trajectory: bh.table }
    with: { out: reports/backtest.html, labels: { agent: PPO } }
`,
  });
  try {
    const first = await p.runJson('pipelines.d/report.yaml');
    assert.is(first.code, 0, first.stderr);
    assert.is(first.statuses.report, 'executed');
    const out = join(p.dir, 'reports/backtest.html');
    const built = readFileSync(out, 'utf8');
    assert.match(built, '<th data-series="agent">PPO</th>');
    const second = await p.runJson('pipelines.d/report.yaml');
    assert.is(second.statuses.report, 'cached');
    unlinkSync(out);
    const third = await p.runJson('pipelines.d/report.yaml');
    assert.is(third.statuses.report, 'cached');
    assert.ok(existsSync(out) && readFileSync(out, 'utf8') === built, 'out not restored byte for byte');
  } finally {
    p.cleanup();
  }
});

test.run();
