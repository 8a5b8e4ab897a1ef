/**
 * The shipped alert rules and Alertmanager config: `promtool check rules`, `promtool test
 * rules` (every rule has a case where it fires and one where it does not), `amtool check-config`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { REPO } from '../helpers/project.ts';
import { toolOrSkip } from './support.ts';

const ALERTS = join(REPO, 'monitoring/alerts');
const files = (suffix: string) => readdirSync(ALERTS).filter((f) => f.endsWith(suffix)).sort();

interface RuleFile {
  groups: { rules: { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
}
interface TestFile {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

test('every alert has a severity, a summary and a description that says what to do', () => {
  const alerts: string[] = [];
  for (const f of files('.rules.yml')) {
    for (const group of (parse(readFileSync(join(ALERTS, f), 'utf8')) as RuleFile).groups) {
      for (const rule of group.rules) {
        if (!rule.alert) continue;
        alerts.push(rule.alert);
        assert.ok(['critical', 'warning', 'info'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`);
        assert.ok(rule.annotations?.summary, `${rule.alert}: summary`);
        assert.ok((rule.annotations?.description ?? '').length > 80, `${rule.alert}: description`);
      }
    }
  }
  assert.equal(alerts.sort(), [
    'TradepipeBacktestDrawdownBeyondLimit',
    'TradepipeDataDrift',
    'TradepipeDataQualityCheckFailed',
    'TradepipePipelineFailed',
    'TradepipePipelineStale',
    'TradepipeSharpeBelowFloor',
    'TradepipeTradingDrawdownBeyondLimit',
    'TradepipeTradingOrdersRejected',
  ]);
});

test('every alert is unit-tested firing and not firing', () => {
  const firing = new Set<string>();
  const quiet = new Set<string>();
  const tested = new Set<string>();
  for (const f of files('.test.yml')) {
    const t = parse(readFileSync(join(ALERTS, f), 'utf8')) as TestFile;
    for (const r of t.rule_files) tested.add(r);
    for (const c of t.tests) for (const a of c.alert_rule_test ?? []) ((a.exp_alerts ?? []).length > 0 ? firing : quiet).add(a.alertname);
  }
  assert.equal([...tested].sort(), files('.rules.yml'));
  const alerts = files('.rules.yml').flatMap((f) => (parse(readFileSync(join(ALERTS, f), 'utf8')) as RuleFile).groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))));
  for (const alert of alerts) {
    assert.ok(firing.has(alert), `${alert}: no test where it fires`);
    assert.ok(quiet.has(alert), `${alert}: no test where it stays quiet`);
  }
});

test('promtool check rules and promtool test rules pass', async () => {
  const promtool = await toolOrSkip('promtool', 'monitor/alerting promtool');
  if (!promtool) return;
  const check = await execa(promtool, ['check', 'rules', ...files('.rules.yml')], { cwd: ALERTS, reject: false });
  assert.is(check.exitCode, 0, check.stdout + check.stderr);
  const unit = await execa(promtool, ['test', 'rules', ...files('.test.yml')], { cwd: ALERTS, reject: false });
  assert.is(unit.exitCode, 0, unit.stdout + unit.stderr);
  assert.match(unit.stdout, /SUCCESS/);
});

test('amtool check-config accepts the example Alertmanager config', async () => {
  const amtool = await toolOrSkip('amtool', 'monitor/alerting amtool');
  if (!amtool) return;
  const r = await execa(amtool, ['check-config', join(REPO, 'monitoring/alertmanager.example.yml')], { reject: false });
  assert.is(r.exitCode, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
});

test.run();
