/**
 * Against a real MLflow server (MLFLOW_TRACKING_URI, started by .ci/services/mlflow.sh):
 * everything a run writes is read back through the REST API.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MlflowClient, proxyPath, type MlflowRun } from '../../engine/tracking/client.ts';
import { openTracking, type StepTracking } from '../../engine/tracking/sink.ts';
import { shipSegment } from '../../engine/tracking/shipper.ts';
import { shipStatePath } from '../../engine/tracking/ship-state.ts';
import { mlflowBackend } from '../../engine/tracking/mlflow-backend.ts';
import { resolveModelUri } from '../../engine/tracking/registry/model-uri.ts';
import { runsCompare, runsList } from '../../engine/tracking/commands/runs.ts';
import { modelsList } from '../../engine/tracking/commands/models.ts';
import register from '../../steps/registry.register/plugin.ts';
import promote from '../../steps/registry.promote/plugin.ts';
import { captureIO, jsonInput, modelDir, stepContext, storedInput, tempProject, warnings, mlflowUriOrSkip } from './support.ts';

const uri = mlflowUriOrSkip('mlflow');
if (uri) {
  const tag = randomBytes(4).toString('hex');
  const token = `tok-${tag}-secret-value`;
  const env = { MLFLOW_TRACKING_URI: uri, MLFLOW_EXPERIMENT_NAME: `tradepipe-it-${tag}`, MLFLOW_TRACKING_TOKEN: token };
  const client = new MlflowClient({ uri });
  const project = tempProject();
  const modelName = `ppo-it-${tag}`;
  let experimentId = '';

  const runByLocalId = async (localId: string): Promise<MlflowRun> => {
    const { runs } = await client.searchRuns({ experiment_ids: [experimentId], filter: `tags.\`tradepipe.local_run_id\` = '${localId}'` });
    assert.is(runs.length, 1, `exactly one run for ${localId}`);
    return runs[0]!;
  };
  const tagsOf = (run: MlflowRun): Record<string, string> => Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
  const paramsOf = (run: MlflowRun): Record<string, string> => Object.fromEntries((run.data.params ?? []).map((t) => [t.key, t.value]));

  async function pipelineRun(localRunId: string, lr: number, cachedFrom?: string) {
    const w = warnings();
    const tracking = await openTracking({ store: project.store, env, log: w.log, maxUploadBytes: 2000 });
    tracking.start({ localRunId, pipeline: 'it', file: 'pipelines.d/it.yaml', gitCommit: 'deadbeef', gitDirty: true, startedAt: Date.now() });
    if (cachedFrom) tracking.cached({ stepId: 'features', plugin: 'features.indicators', version: '1', key: 'sha256:f', producedBy: cachedFrom });
    else await tracking.step({ stepId: 'features', plugin: 'features.indicators', version: '1', key: 'sha256:f', params: { indicators: ['macd', 'rsi_30'] } }).finish('FINISHED', 20, {});
    const many: Record<string, number> = {};
    for (let i = 0; i < 150; i++) many[`p${String(i).padStart(3, '0')}`] = i;
    const train = tracking.step({
      stepId: 'train',
      plugin: 'agent.ppo',
      version: '3',
      key: `sha256:t${lr}`,
      params: { learning_rate: lr, many, long: 'x'.repeat(7000), api_token: 'hidden', note: `uses ${token}` },
    });
    for (let i = 0; i < 1500; i++) train.metric('loss', 1 / (i + 1), i);
    train.metric('Sharpe ratio', lr * 1000, 0);
    train.artifact(modelDir(project.root, `model-${localRunId}`, 'weights'), 'model');
    train.artifact(modelDir(project.root, `big-${localRunId}`, 'b'.repeat(4000)), 'big');
    await train.finish('FINISHED', 2500, { model: 'sha256:out' });
    return { ...(await tracking.finish('FINISHED')), logged: w.list };
  }

  test('runs, nested step runs, params, metric histories and artifacts reach the server', async () => {
    const first = await pipelineRun(`it-${tag}-1`, 0.001);
    assert.equal(first.warnings, []);
    experimentId = (await client.getExperimentByName(env.MLFLOW_EXPERIMENT_NAME))!.experiment_id;

    const parent = await runByLocalId(`it-${tag}-1`);
    assert.is(parent.info.status, 'FINISHED');
    const pt = tagsOf(parent);
    assert.equal([pt['tradepipe.pipeline'], pt['tradepipe.pipeline_file'], pt['tradepipe.git_commit'], pt['tradepipe.git_dirty'], pt['mlflow.source.git.commit'], pt['tradepipe.run_kind']], ['it', 'pipelines.d/it.yaml', 'deadbeef', 'true', 'deadbeef', 'pipeline']);

    const train = await runByLocalId(`it-${tag}-1:train`);
    const tt = tagsOf(train);
    assert.is(tt['mlflow.parentRunId'], parent.info.run_id);
    assert.equal([tt['tradepipe.step_id'], tt['tradepipe.plugin'], tt['tradepipe.plugin_version'], tt['tradepipe.cache_key']], ['train', 'agent.ppo', '3', 'sha256:t0.001']);
    assert.is(Number(train.info.end_time) - Number(train.info.start_time), 2500);

    const params = paramsOf(train);
    assert.is(Object.keys(params).length, 154);
    assert.is(params['many.p149'], '149');
    assert.is(params.learning_rate, '0.001');
    assert.is(params.long!.length, 6000);
    assert.match(params.long!, /^x+\.\.\.\[truncated 7000 chars, sha256:[0-9a-f]{16}\]$/);
    assert.is(params.api_token, '[redacted]');
    assert.is(params.note, 'uses [redacted]');
    assert.not.ok(JSON.stringify(train).includes(token));

    const loss = await client.getMetricHistory(train.info.run_id, 'loss');
    assert.is(loss.length, 1500);
    const sorted = loss.sort((a, b) => a.step - b.step);
    assert.equal(sorted.map((m) => m.step), Array.from({ length: 1500 }, (_, i) => i));
    assert.is(sorted[9]!.value, 0.1);

    const root = proxyPath(train.info.artifact_uri);
    const listed = await client.listArtifacts(`${root}/model`);
    assert.equal(listed.map((f) => [f.path, f.is_dir]).sort(), [['config.json', false], ['policy', true]]);
    assert.is(new TextDecoder().decode(await client.getArtifact(`${root}/model/policy/weights.bin`)), 'weights');
    assert.equal(await client.listArtifacts(`${root}/big`), []);
    assert.match(tt['tradepipe.artifact_ref.big']!, /^sha256:[0-9a-f]{64} \(4\d{3} bytes, over the 2000-byte upload limit\)$/);
  });

  test('a cached step links to the run that produced its outputs', async () => {
    const second = await pipelineRun(`it-${tag}-2`, 0.002, `it-${tag}-1`);
    assert.equal(second.warnings, []);
    const cached = await runByLocalId(`it-${tag}-2:features`);
    const producer = await runByLocalId(`it-${tag}-1:features`);
    const ct = tagsOf(cached);
    assert.equal([ct['tradepipe.cached'], ct['tradepipe.produced_by_local_run_id'], ct['tradepipe.produced_by_run_id']], ['true', `it-${tag}-1:features`, producer.info.run_id]);
    assert.is(ct['mlflow.parentRunId'], (await runByLocalId(`it-${tag}-2`)).info.run_id);
  });

  test('shipping again after losing the ship state creates no duplicate runs or metric points', async () => {
    rmSync(shipStatePath(project.storeDir, mlflowBackend(client).targetKey, `it-${tag}-1`));
    const result = await shipSegment(`it-${tag}-1`, { storeDir: project.storeDir, backend: mlflowBackend(client), store: project.store, deadline: Date.now() + 60_000 });
    assert.is(result.done, true);
    const train = await runByLocalId(`it-${tag}-1:train`);
    assert.is((await client.getMetricHistory(train.info.run_id, 'loss')).length, 1500);
    await runByLocalId(`it-${tag}-1`);
  });

  const conditions = [{ metric: 'Sharpe ratio', op: '>' as const }, { metric: 'Max drawdown', op: '>=' as const, tolerance: 0.05 }];

  async function inStep<T>(id: string, body: (step: StepTracking) => Promise<T>): Promise<T> {
    const tracking = await openTracking({ store: project.store, env, log: warnings().log });
    tracking.start({ localRunId: `it-${tag}-${id}`, pipeline: 'it', file: 'pipelines.d/it.yaml', startedAt: Date.now() });
    const step = tracking.step({ stepId: id, plugin: id, version: '1', key: 'sha256:x', params: {} });
    try {
      return await body(step);
    } finally {
      await step.finish('FINISHED', 1);
      assert.equal((await tracking.finish('FINISHED')).warnings, []);
    }
  }

  async function registerAndPromote(n: number, weights: string, stats: Record<string, number>) {
    const artifact = await storedInput(project.store, modelDir(project.root, `reg-${weights}`, weights));
    const registered = await inStep(`register${n}`, async (step) =>
      (await register.run(stepContext(project.root, step), { name: modelName, artifact_path: 'model', alias: 'challenger' }, { artifact, stats: await jsonInput(project.store, stats) })).model,
    );
    const decision = await inStep(`promote${n}`, async (step) =>
      (await promote.run(stepContext(project.root, step), { model: modelName, metric_conditions: conditions as never }, { stats: await jsonInput(project.store, stats) })).decision,
    );
    return { registered: (registered as { value: { version: string; source: string } }).value, decision: (decision as { value: { promoted: boolean; reason: string } }).value, hash: artifact.hash };
  }

  test('register creates a READY version whose source is its run artifact URI; promote moves the champion alias', async () => {
    const one = await registerAndPromote(1, 'w-one', { 'Sharpe ratio': 1.0, 'Max drawdown': -0.2 });
    const v1 = await client.getModelVersion(modelName, one.registered.version);
    const stepRun = await runByLocalId(`it-${tag}-register1:register1`);
    assert.is(v1.status, 'READY');
    assert.is(v1.run_id, stepRun.info.run_id);
    assert.is(v1.source, `${stepRun.info.artifact_uri}/model`);
    assert.is(one.registered.source, v1.source);
    assert.equal(Object.fromEntries((v1.tags ?? []).map((t) => [t.key, t.value]))['tradepipe.content_hash'], one.hash);
    assert.is(new TextDecoder().decode(await client.getArtifact(`${proxyPath(v1.source)}/policy/weights.bin`)), 'w-one');
    assert.equal([one.decision.promoted, one.decision.reason], [true, 'no current champion']);

    const two = await registerAndPromote(2, 'w-two', { 'Sharpe ratio': 1.5, 'Max drawdown': -0.22 });
    assert.is(two.registered.version, '2');
    assert.equal([two.decision.promoted, two.decision.reason], [true, 'against champion version 1: Sharpe ratio 1.5 > 1; Max drawdown -0.22 >= -0.2 (tolerance 0.05)']);
    const three = await registerAndPromote(3, 'w-three', { 'Sharpe ratio': 1.4, 'Max drawdown': -0.1 });
    assert.equal([three.decision.promoted, three.decision.reason], [false, 'against champion version 2: Sharpe ratio 1.4 not > 1.5']);
    assert.is((await client.getModelVersionByAlias(modelName, 'champion')).version, '2');
    assert.is((await client.getModelVersionByAlias(modelName, 'challenger')).version, '3');

    const again = await registerAndPromote(4, 'w-two', { 'Sharpe ratio': 1.5, 'Max drawdown': -0.22 });
    assert.is(again.registered.version, '2');
    assert.is((await client.getRegisteredModel(modelName)).latest_versions?.[0]?.version, '3');
  });

  test('model URIs resolve on the server; files missing locally are downloaded into the store', async () => {
    const here = await resolveModelUri(`models:/${modelName}@champion`, { store: project.store, env });
    assert.equal([here.version, here.contentKind], ['2', 'dir']);
    assert.is(readFileSync(join(here.localPath, 'policy', 'weights.bin'), 'utf8'), 'w-two');
    const elsewhere = tempProject();
    try {
      const there = await resolveModelUri(`models:/${modelName}/3`, { store: elsewhere.store, env });
      assert.is(there.contentHash, (await client.getModelVersion(modelName, '3')).tags?.find((t) => t.key === 'tradepipe.content_hash')?.value);
      assert.is(readFileSync(join(there.localPath, 'policy', 'weights.bin'), 'utf8'), 'w-three');
    } finally {
      elsewhere.cleanup();
    }
  });

  test('runs and models commands read the server', async () => {
    const list = captureIO(project.store, env);
    assert.is(await runsList({ experiment: env.MLFLOW_EXPERIMENT_NAME, limit: 100 }, list.io), 0);
    assert.ok(list.out().includes(` it-${tag}-1 `) && list.out().includes(` it-${tag}-2 `), list.out());
    const cmp = captureIO(project.store, env);
    assert.is(await runsCompare({ runs: [`it-${tag}-1`, `it-${tag}-2`] }, cmp.io), 0);
    assert.ok(cmp.out().includes('  param train.learning_rate: 0.001 -> 0.002\n'), cmp.out());
    assert.ok(cmp.out().includes('  metric train.Sharpe ratio: 1 -> 2 (delta vs first: +1)\n'), cmp.out());
    const models = captureIO(project.store, env);
    assert.is(await modelsList({}, models.io), 0);
      // Re-registering version 2's content made it the challenger again.
    assert.match(models.out(), new RegExp(`\\n${modelName} +3 +3 +challenger=2, champion=2\\n`));
  });

  test.after(() => project.cleanup());
}
test.run();
