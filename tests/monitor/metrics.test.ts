/**
 * `tradepipe metrics`: engine and step metrics from a real project's history, the
 * exposition passing `promtool check metrics`, `metrics serve`, and the Pushgateway push.
 */
import { once } from 'node:events';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DRIFT_PIPELINE, driftProject, freePort, toolOrSkip, waitFor } from './support.ts';

const p = driftProject();

/** `name{labels} value` lines of an exposition, comments dropped. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

let exposition = '';

test.before(async () => {
  const first = await p.runJson('drift.yaml');
  assert.is(first.code, 0, first.stderr);
  const second = await p.runJson('drift.yaml');
  assert.equal(Object.values(second.statuses), ['cached', 'cached', 'cached', 'cached']);
  const shown = await p.run(['metrics', 'show']);
  assert.is(shown.code, 0, shown.stderr);
  // execa strips the final newline the text format ends with.
  exposition = `${shown.stdout}\n`;
});

test.after(() => p.cleanup());

test('pipeline and step metrics from the run history', () => {
  const s = samples(exposition);
  assert.is(s.get('tradepipe_pipeline_runs_total{pipeline="drift.yaml",status="succeeded"}'), 2);
  assert.is(s.get('tradepipe_pipeline_runs_total{pipeline="drift.yaml",status="failed"}'), 0);
  assert.is(s.get('tradepipe_pipeline_last_run_status{pipeline="drift.yaml",status="succeeded"}'), 1);
  assert.ok(s.get('tradepipe_pipeline_last_success_timestamp_seconds{pipeline="drift.yaml"}')! > Date.now() / 1000 - 600);
  assert.is(s.get('tradepipe_step_runs_total{pipeline="drift.yaml",step="drift",status="executed"}'), 1);
  assert.is(s.get('tradepipe_step_runs_total{pipeline="drift.yaml",step="drift",status="cached"}'), 1);
  assert.is(s.get('tradepipe_step_cache_hits_total{pipeline="drift.yaml",step="drift"}'), 1);
  assert.is(s.get('tradepipe_step_duration_seconds_count{pipeline="drift.yaml",step="drift"}'), 1);
});

test('step-tracked metrics: drift verdicts overall and per ticker, quality checks, from the latest outputs', () => {
  const s = samples(exposition);
  assert.is(s.get('tradepipe_monitor_drift_dataset_drifted{pipeline="drift.yaml",step="drift"}'), 1);
  assert.is(s.get('tradepipe_monitor_drift_dataset_drifted{group="AAPL",pipeline="drift.yaml",step="drift"}'), 1);
  assert.is(s.get('tradepipe_monitor_drift_share{pipeline="drift.yaml",step="drift"}'), 0.5);
  assert.is(s.get('tradepipe_monitor_drift_column_drifted{column="x",pipeline="drift.yaml",step="drift"}'), 1);
  assert.is(s.get('tradepipe_monitor_drift_column_drifted{column="y",group="MSFT",pipeline="drift.yaml",step="drift"}'), 0);
  assert.is(s.get('tradepipe_monitor_quality_check_failed{check="tickers",pipeline="drift.yaml",step="quality"}'), 1);
  assert.is(s.get('tradepipe_monitor_quality_check_failed{check="duplicates",pipeline="drift.yaml",step="quality"}'), 0);
});

test('promtool check metrics passes on the exposition', async () => {
  const promtool = await toolOrSkip('promtool', 'monitor/metrics promtool');
  if (!promtool) return;
  const r = await execa(promtool, ['check', 'metrics'], { input: exposition, reject: false });
  assert.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  assert.is(`${r.stdout}${r.stderr}`.trim(), '');
});

test('metrics serve: GET /metrics while no run is in progress', async () => {
  const server = p.spawn(['metrics', 'serve', '--port', '0']);
  try {
    const [chunk] = (await once(server.stdout!, 'data')) as [Buffer];
    const url = /serving metrics at (\S+)/.exec(chunk.toString())![1]!;
    const res = await fetch(url);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    assert.equal(samples(await res.text()), samples(exposition));
  } finally {
    server.kill('SIGTERM');
    await server;
  }
});

test('run --pushgateway: a real Pushgateway holds the pipeline\'s metrics under job="tradepipe", pipeline=<file>', async () => {
  const pushgateway = await toolOrSkip('prometheus-pushgateway', 'monitor/metrics pushgateway');
  if (!pushgateway) return;
  const port = await freePort();
  const gateway = execa(pushgateway, [`--web.listen-address=127.0.0.1:${port}`], { reject: false });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok);
    // A pipeline in a folder: `/` in a grouping value needs the Pushgateway's base64 form.
    p.write('pipes/drift.yaml', DRIFT_PIPELINE);
    const r = await p.run(['run', 'pipes/drift.yaml', '--pushgateway', url]);
    assert.is(r.code, 0, r.stderr);
    const pushed = samples(await (await fetch(`${url}/metrics`)).text());
    assert.is(pushed.get('tradepipe_pipeline_runs_total{instance="",job="tradepipe",pipeline="pipes/drift.yaml",status="succeeded"}'), 1);
    assert.is(pushed.get('tradepipe_monitor_drift_dataset_drifted{instance="",job="tradepipe",pipeline="pipes/drift.yaml",step="drift"}'), 1);
    assert.not.ok([...pushed.keys()].some((k) => k.includes('pipeline="drift.yaml"')), 'only the pipeline that ran is pushed');
  } finally {
    gateway.kill('SIGTERM');
    await gateway;
  }
  const down = await p.run(['run', 'drift.yaml'], { env: { PROMETHEUS_PUSHGATEWAY_URL: 'http://user:secret@127.0.0.1:1' } });
  assert.is(down.code, 0, 'a push failure leaves the run\'s outcome alone');
  assert.match(down.stderr, /warning: could not push metrics to the Pushgateway at http:\/\/127\.0\.0\.1:1\//);
  assert.not.match(down.stderr, /secret/);
});

test('a drift step failing on drift: the run fails naming the columns, and its verdict still reaches the metrics', async () => {
  const r = await p.run(['run', 'drift.yaml', '--set', 'drift.fail_on_drift=true']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /data drift detected: overall \(share 0\.50 >= 0\.5\): x; tic=AAPL \(share 0\.50\): x; tic=MSFT \(share 0\.50\): x/);
  const s = samples((await p.run(['metrics', 'show'])).stdout);
  assert.is(s.get('tradepipe_pipeline_last_run_status{pipeline="drift.yaml",status="failed"}'), 1);
  assert.is(s.get('tradepipe_step_runs_total{pipeline="drift.yaml",step="drift",status="failed"}'), 1);
  assert.is(s.get('tradepipe_monitor_drift_dataset_drifted{pipeline="drift.yaml",step="drift"}'), 1);
  assert.is(s.get('tradepipe_monitor_drift_column_drifted{column="x",group="MSFT",pipeline="drift.yaml",step="drift"}'), 1);
});

test.run();
