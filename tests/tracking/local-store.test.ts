/** The embedded default (no MLFLOW_TRACKING_URI): runs land in <store>/tracking/local/ and the CLI reads them back. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTracking } from '../../engine/tracking/sink.ts';
import { localBackend } from '../../engine/tracking/local-backend.ts';
import { TAG, type RunView } from '../../engine/tracking/backend.ts';
import { shipSegment } from '../../engine/tracking/shipper.ts';
import { shipStatePath } from '../../engine/tracking/ship-state.ts';
import { SegmentWriter, segmentPath } from '../../engine/tracking/outbox.ts';
import { runsCompare, runsList, runsShow } from '../../engine/tracking/commands/runs.ts';
import { trackSync } from '../../engine/tracking/commands/sync.ts';
import { captureIO, modelDir, tempProject, warnings } from './support.ts';

const project = tempProject();
const backend = localBackend(project.storeDir);

async function pipelineRun(localRunId: string, lr: number, sharpe: number[], opts: { cachedFrom?: string } = {}) {
  const w = warnings();
  const tracking = await openTracking({ store: project.store, env: {}, log: w.log, maxUploadBytes: 1000 });
  tracking.start({ localRunId, pipeline: 'ppo_demo', file: 'pipelines.d/ppo.yaml', gitCommit: 'abc1234def', gitDirty: false, startedAt: Date.now() });
  if (opts.cachedFrom) {
    tracking.cached({ stepId: 'features', plugin: 'features.indicators', version: '1', key: 'sha256:feat', producedBy: opts.cachedFrom });
  } else {
    const f = tracking.step({ stepId: 'features', plugin: 'features.indicators', version: '1', key: 'sha256:feat', params: { indicators: ['macd'] } });
    await f.finish('FINISHED', 12, { features: 'sha256:ff' });
  }
  const train = tracking.step({ stepId: 'train', plugin: 'agent.ppo', version: '2', key: `sha256:train${lr}`, params: { learning_rate: lr, api_key: 'not-shown', ppo: { n_steps: 2048 } } });
  sharpe.forEach((v, i) => train.metric('Sharpe ratio', v, i));
  train.tag('device', 'cpu');
  train.artifact(modelDir(project.root, `model-${localRunId}`, 'w'.repeat(10)), 'model');
  train.artifact(modelDir(project.root, `big-${localRunId}`, 'w'.repeat(5000)), 'big');
  await train.finish('FINISHED', 1500, { model: 'sha256:mm' });
  const result = await tracking.finish('FINISHED');
  return { ...result, logged: w.list, trainId: train.localRunId };
}

const byLocal = async (id: string): Promise<RunView> => {
  const [run] = await backend.searchRuns({ tags: { [TAG.localRunId]: id } });
  if (!run) throw new Error(`no run ${id}`);
  return run;
};

test('a pipeline run becomes a parent run with nested step runs, params, metric history and artifacts', async () => {
  const r = await pipelineRun('run-a', 0.001, [0.5, 0.9, 1.2]);
  assert.equal(r.warnings, []);
  assert.equal(r.logged, []);
  const parent = await byLocal('run-a');
  assert.is(parent.status, 'FINISHED');
  assert.is(parent.name, 'ppo_demo');
  assert.equal(
    Object.fromEntries(Object.entries(parent.tags).filter(([k]) => k.startsWith('tradepipe.'))),
    { 'tradepipe.pipeline': 'ppo_demo', 'tradepipe.pipeline_file': 'pipelines.d/ppo.yaml', 'tradepipe.git_commit': 'abc1234def', 'tradepipe.git_dirty': 'false', 'tradepipe.run_kind': 'pipeline', 'tradepipe.local_run_id': 'run-a' },
  );
  const train = await byLocal('run-a:train');
  assert.is(train.tags[TAG.parentRunId], parent.runId);
  assert.is(train.tags[TAG.plugin], 'agent.ppo');
  assert.is(train.tags[TAG.pluginVersion], '2');
  assert.is(train.tags[TAG.cacheKey], 'sha256:train0.001');
  assert.is(train.tags[TAG.durationMs], '1500');
  assert.is(train.tags['tradepipe.output.model'], 'sha256:mm');
  assert.is(train.tags.device, 'cpu');
  assert.equal(train.params, { api_key: '[redacted]', learning_rate: '0.001', 'ppo.n_steps': '2048' });
  assert.is(train.endTime! - train.startTime, 1500);
  const history = await backend.metricHistory(train.runId, 'Sharpe ratio');
  assert.equal(history.map((p) => [p.step, p.value]), [[0, 0.5], [1, 0.9], [2, 1.2]]);
  assert.equal(train.metrics['Sharpe ratio']!.value, 1.2);
  // The small model is uploaded; the large one (over the 1000-byte limit set here) is referenced by hash.
  const artifacts = fileURLToPath(train.artifactUri);
  assert.is(readFileSync(join(artifacts, 'model', 'policy', 'weights.bin'), 'utf8'), 'w'.repeat(10));
  assert.not.ok(existsSync(join(artifacts, 'big')));
  assert.match(train.tags['tradepipe.artifact_ref.big']!, /^sha256:[0-9a-f]{64} \(5\d\d\d bytes, over the 1000-byte upload limit\)$/);
});

test('a cached step gets a light child run pointing at the run that produced its outputs', async () => {
  await pipelineRun('run-b', 0.002, [0.4, 1.5], { cachedFrom: 'run-a' });
  const cached = await byLocal('run-b:features');
  const producer = await byLocal('run-a:features');
  assert.is(cached.tags[TAG.cached], 'true');
  assert.is(cached.tags[TAG.runKind], 'cached');
  assert.is(cached.tags[TAG.producedByLocal], 'run-a:features');
  assert.is(cached.tags[TAG.producedBy], producer.runId);
  assert.is(cached.tags[TAG.parentRunId], (await byLocal('run-b')).runId);
  assert.is(cached.status, 'FINISHED');
});

test('resending after a lost ship state duplicates nothing', async () => {
  const before = (await backend.searchRuns({})).length;
  rmSync(shipStatePath(project.storeDir, 'local', 'run-a'));
  const result = await shipSegment('run-a', { storeDir: project.storeDir, backend, store: project.store, deadline: Date.now() + 10_000 });
  assert.is(result.done, true);
  assert.ok(result.shipped > 0);
  assert.is((await backend.searchRuns({})).length, before);
  const train = await byLocal('run-a:train');
  assert.is((await backend.metricHistory(train.runId, 'Sharpe ratio')).length, 3);
});

test('runs list / show / compare read the local store', async () => {
  const a = await byLocal('run-a');
  const b = await byLocal('run-b');
  const list = captureIO(project.store);
  assert.is(await runsList({}, list.io), 0);
  const lines = list.out().trim().split('\n');
  assert.is(lines.length, 3);
  assert.match(lines[0]!, /^RUN ID +LOCAL ID +PIPELINE +STATUS +STARTED \(UTC\) +DURATION +GIT$/);
  assert.match(lines[1]!, new RegExp(`^${b.runId}  run-b +ppo_demo +FINISHED +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +\\S+ +abc1234def$`));
  assert.match(lines[2]!, new RegExp(`^${a.runId}  run-a `));

  const show = captureIO(project.store);
  assert.is(await runsShow({ run: 'run-b' }, show.io), 0);
  const features = await byLocal('run-b:features');
  const train = await byLocal('run-b:train');
  const started = new Date(b.startTime).toISOString().slice(0, 19).replace('T', ' ');
  assert.is(
    show.out(),
    [
      `run id    ${b.runId}`,
      'local id  run-b',
      'kind      pipeline',
      'name      ppo_demo',
      'status    FINISHED',
      `started   ${started} UTC`,
      `duration  ${b.endTime! - b.startTime}ms`,
      'pipeline  ppo_demo (pipelines.d/ppo.yaml)',
      'git       abc1234def',
      `target    local store ${join(project.storeDir, 'tracking', 'local')}`,
      '',
      'steps (2):',
      '  STEP      PLUGIN                 STATUS    CACHED  DURATION  RUN ID',
      `  features  features.indicators@1  FINISHED  yes     -         ${features.runId}`,
      `  train     agent.ppo@2            FINISHED  no      1.5s      ${train.runId}`,
      '',
    ].join('\n'),
  );

  const cmp = captureIO(project.store);
  assert.is(await runsCompare({ runs: ['run-a', 'run-b'] }, cmp.io), 0);
  assert.is(
    cmp.out(),
    [
      'PARAM                run-a       run-b',
      'features.indicators  ["macd"]    ["macd"]',
      'train.api_key        [redacted]  [redacted]',
      'train.learning_rate  0.001       0.002       *',
      'train.ppo.n_steps    2048        2048',
      '',
      'METRIC (latest)     run-a  run-b',
      'train.Sharpe ratio  1.2    1.5    *',
      '',
      'differences (2):',
      '  param train.learning_rate: 0.001 -> 0.002',
      '  metric train.Sharpe ratio: 1.2 -> 1.5 (delta vs first: +0.3)',
      '',
    ].join('\n'),
  );
});

test('unknown runs and a single run for compare are clear errors', async () => {
  const c = captureIO(project.store);
  assert.is(await runsShow({ run: 'nope' }, c.io), 1);
  assert.is(c.err(), `error: no run "nope" in local store ${join(project.storeDir, 'tracking', 'local')} (give a run id or a tradepipe local run id)\n`);
  const d = captureIO(project.store);
  assert.is(await runsCompare({ runs: ['run-a'] }, d.io), 1);
  assert.is(d.err(), 'error: runs compare needs at least two runs\n');
});

test('a step finish still copying artifacts completes; a step never finished ends KILLED', async () => {
  const tracking = await openTracking({ store: project.store, env: {}, log: warnings().log });
  tracking.start({ localRunId: 'run-c', pipeline: 'ppo_demo', file: 'pipelines.d/ppo.yaml', startedAt: Date.now() });
  const done = tracking.step({ stepId: 'train', plugin: 'agent.ppo', version: '2', key: 'sha256:c', params: {} });
  const dir = modelDir(project.root, 'model-c', 'c');
  done.artifact(dir, 'model');
  // The engine may move or delete the step's files right after run() returns: the artifact was captured already.
  rmSync(dir, { recursive: true });
  void done.finish('FINISHED', 3);
  tracking.step({ stepId: 'evaluate', plugin: 'backtest', version: '1', key: 'sha256:d', params: {} });
  assert.equal((await tracking.finish('FAILED')).warnings, []);
  const train = await byLocal('run-c:train');
  assert.is(train.status, 'FINISHED');
  assert.is(readFileSync(join(fileURLToPath(train.artifactUri), 'model', 'policy', 'weights.bin'), 'utf8'), 'c');
  assert.is((await byLocal('run-c:evaluate')).status, 'FAILED');
  assert.is((await byLocal('run-c')).status, 'FAILED');
});

test('track sync closes a run whose process died and ships it', async () => {
  const w = new SegmentWriter(segmentPath(project.storeDir, 'run-dead'));
  w.append({ op: 'run', run: 'run-dead', experiment: 'ppo_demo', name: 'ppo_demo', start: Date.now(), tags: { [TAG.runKind]: 'pipeline' } });
  w.append({ op: 'run', run: 'run-dead:train', parent: 'run-dead', experiment: 'ppo_demo', name: 'train', start: Date.now(), tags: {} });
  w.append({ op: 'metric', run: 'run-dead:train', key: 'loss', value: 0.5, step: 0, t: Date.now() });
  w.close();
  const c = captureIO(project.store);
  assert.is(await trackSync({}, c.io), 0);
  assert.is(c.err(), 'warning: run run-dead was interrupted; marked 2 unfinished run(s) KILLED\n');
  assert.match(c.out(), /^run-dead: shipped 5 record\(s\)\nup to date with local store .* \(4 run\(s\), 5 record\(s\) shipped now\)\n$/);
  assert.is((await byLocal('run-dead')).status, 'KILLED');
  assert.is((await byLocal('run-dead:train')).status, 'KILLED');
  const again = captureIO(project.store);
  assert.is(await trackSync({}, again.io), 0);
  assert.match(again.out(), /\(4 run\(s\), 0 record\(s\) shipped now\)\n$/);
});

test.after(() => project.cleanup());
test.run();
