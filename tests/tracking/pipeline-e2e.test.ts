/**
 * A real `bin/tradepipe run` against a real MLflow server (MLFLOW_TRACKING_URI, started by
 * .ci/services/mlflow.sh), read back through MLflow's REST API: experiment, parent run, one nested
 * run per executed step with its tags, params, metric history and artifact; then a rerun whose
 * cached steps are lightweight child runs pointing at the runs that produced their outputs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '../../engine/executor.ts';
import { curveCsv, lossCurve } from '../fixtures/tracking/fit-curve.ts';
import { mlflowUriOrSkip } from './support.ts';
import { cacheKeys, mlflowRest, paramsOf, pipelineRun, PIPELINE_FILE, tagsOf, trackedProject, type RestRun, type TrackedProject } from './tracked-pipeline.ts';

const uri = mlflowUriOrSkip('pipeline-e2e');
if (uri) {
  const pipeline = `e2e-${randomBytes(4).toString('hex')}`;
  const rest = mlflowRest(uri);
  let p: TrackedProject;
  let first: RunResult;
  let firstKeys: Record<string, string>;
  let experimentId = '';

  const PLUGINS: Record<string, [plugin: string, version: string]> = { raw: ['exec', '1'], double: ['exec', '1'], base: ['add', '1'], fit: ['fit', '2'] };
  const outputsOf = (result: RunResult, step: string) => result.steps.find((s) => s.id === step)!.outputs;
  /** Tags on every run of a pipeline run. */
  const commonTags = (dirty: string) => ({
    'tradepipe.pipeline': pipeline,
    'tradepipe.pipeline_file': PIPELINE_FILE,
    'tradepipe.git_commit': p.commit,
    'mlflow.source.git.commit': p.commit,
    'tradepipe.git_dirty': dirty,
  });
  const withoutDuration = (tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).filter(([k]) => k !== 'tradepipe.duration_ms'));

  test.before(async () => {
    p = await trackedProject(pipeline);
  });
  test.after(() => p.cleanup());

  test('a pipeline run becomes a parent run in the pipeline-named experiment, with one nested run per step', async () => {
    const { result, stderr } = await p.runTracked(uri);
    first = result;
    assert.not.match(stderr, /^warning:/m, stderr);
    assert.equal(Object.fromEntries(first.steps.map((s) => [s.id, s.status])), { raw: 'executed', base: 'executed', double: 'executed', fit: 'executed' });
    firstKeys = await cacheKeys(p, uri);

    experimentId = await rest.experimentId(pipeline);
    const runs = await rest.runs(experimentId);
    assert.is(runs.length, 5);
    const { parent, steps } = pipelineRun(runs, first.runId);
    assert.equal([parent.info.run_name, parent.info.status], [pipeline, 'FINISHED']);
    const common = commonTags('false');
    assert.equal(tagsOf(parent), { ...common, 'tradepipe.run_kind': 'pipeline', 'tradepipe.local_run_id': first.runId, 'mlflow.runName': pipeline });
    assert.equal(paramsOf(parent), {});

    assert.equal(Object.keys(steps).sort(), ['base', 'double', 'fit', 'raw']);
    for (const [id, run] of Object.entries(steps)) {
      const tags = tagsOf(run);
      const [plugin, version] = PLUGINS[id]!;
      assert.equal([run.info.run_name, run.info.status], [id, 'FINISHED']);
      assert.equal(withoutDuration(tags), {
        ...common,
        'tradepipe.step_id': id,
        'tradepipe.plugin': plugin,
        'tradepipe.plugin_version': version,
        'tradepipe.cache_key': firstKeys[id],
        'tradepipe.run_kind': 'step',
        'tradepipe.local_run_id': `${first.runId}:${id}`,
        'mlflow.runName': id,
        'mlflow.parentRunId': parent.info.run_id,
        ...Object.fromEntries(Object.entries(outputsOf(first, id)).map(([port, hash]) => [`tradepipe.output.${port}`, hash])),
        ...(id === 'fit' ? { 'fit.optimizer': 'adam' } : {}),
      });
      assert.is(Number(tags['tradepipe.duration_ms']), run.info.end_time - run.info.start_time, `${id}: duration tag = end - start`);
    }
  });

  test('resolved params are logged flattened', async () => {
    const { steps } = pipelineRun(await rest.runs(experimentId), first.runId);
    assert.equal(paramsOf(steps.raw!), { cmd: 'mkdir -p out && echo 3 > out/raw.txt', deps: '[]', outs: '["out/raw.txt"]', wdir: '.' });
    assert.equal(paramsOf(steps.double!), { cmd: "awk '{print $1*2}' out/raw.txt > out/double.txt", deps: '["out/raw.txt"]', outs: '["out/double.txt"]', wdir: '.' });
    assert.equal(paramsOf(steps.base!), { amount: '4' });
    assert.equal(paramsOf(steps.fit!), { epochs: '5', layers: '[64,32]', 'optimizer.lr': '0.01', 'optimizer.name': 'adam' });
  });

  test('metrics logged with steps come back as a history; the artifact is listed and downloadable', async () => {
    const { steps } = pipelineRun(await rest.runs(experimentId), first.runId);
    const fit = steps.fit!;
    const losses = lossCurve(4, 5);
    assert.equal(await rest.metricHistory(fit.info.run_id, 'loss'), [[0, 4], [1, 2], [2, 1], [3, 0.5], [4, 0.25]]);
    assert.equal(await rest.metricHistory(fit.info.run_id, 'final_loss'), [[0, 0.25]]);
    // A run's latest value of a metric is the one at the highest step.
    assert.equal((fit.data.metrics ?? []).map((m) => [m.key, m.step, m.value]).sort(), [['final_loss', 0, 0.25], ['loss', 4, 0.25]]);

    const csv = curveCsv(losses);
    assert.equal(await rest.artifacts(fit.info.run_id), [{ path: 'curve.csv', is_dir: false, file_size: Buffer.byteLength(csv) }]);
    assert.is(await rest.artifactText(fit, 'curve.csv'), csv);
    for (const id of ['raw', 'double', 'base']) assert.equal(await rest.artifacts(steps[id]!.info.run_id), [], `${id} logged no artifact`);
  });

  test('a rerun logs cached steps as lightweight child runs pointing at the runs that produced their outputs', async () => {
    // A tracked file changes: the rerun is tagged dirty, on the same commit.
    writeFileSync(join(p.dir, 'README.md'), 'edited\n');
    const { result: second, stderr } = await p.runTracked(uri, ['--set', 'fit.epochs=3']);
    assert.not.match(stderr, /^warning:/m, stderr);
    assert.equal(Object.fromEntries(second.steps.map((s) => [s.id, s.status])), { raw: 'cached', base: 'cached', double: 'cached', fit: 'executed' });
    const secondKeys = await cacheKeys(p, uri, ['--set', 'fit.epochs=3']);
    assert.equal({ ...secondKeys, fit: firstKeys.fit }, firstKeys, 'only the fit key changed');
    assert.is.not(secondKeys.fit, firstKeys.fit);

    const runs = await rest.runs(experimentId);
    assert.is(runs.length, 10);
    const before = pipelineRun(runs, first.runId);
    const { parent, steps } = pipelineRun(runs, second.runId);
    assert.equal(Object.keys(steps).sort(), ['base', 'double', 'fit', 'raw']);
    assert.is(tagsOf(parent)['tradepipe.git_dirty'], 'true');
    assert.is(tagsOf(parent)['tradepipe.git_commit'], p.commit);

    for (const id of ['raw', 'double', 'base']) {
      const run: RestRun = steps[id]!;
      const [plugin, version] = PLUGINS[id]!;
      assert.equal([run.info.run_name, run.info.status, run.info.end_time - run.info.start_time], [id, 'FINISHED', 0]);
      assert.equal(tagsOf(run), {
        ...commonTags('true'),
        'tradepipe.step_id': id,
        'tradepipe.plugin': plugin,
        'tradepipe.plugin_version': version,
        'tradepipe.cache_key': firstKeys[id],
        'tradepipe.run_kind': 'cached',
        'tradepipe.cached': 'true',
        'tradepipe.produced_by_local_run_id': `${first.runId}:${id}`,
        'tradepipe.produced_by_run_id': before.steps[id]!.info.run_id,
        'tradepipe.local_run_id': `${second.runId}:${id}`,
        'mlflow.runName': id,
        'mlflow.parentRunId': parent.info.run_id,
      });
      assert.equal([paramsOf(run), run.data.metrics ?? []], [{}, []], `${id}: a cached run carries no params or metrics`);
      assert.equal(await rest.artifacts(run.info.run_id), []);
    }

    const fit = steps.fit!;
    assert.equal([tagsOf(fit)['tradepipe.run_kind'], tagsOf(fit)['tradepipe.cache_key'], tagsOf(fit)['tradepipe.cached']], ['step', secondKeys.fit, undefined]);
    assert.is(paramsOf(fit).epochs, '3');
    assert.equal(await rest.metricHistory(fit.info.run_id, 'loss'), [[0, 4], [1, 2], [2, 1]]);
    assert.is(await rest.artifactText(fit, 'curve.csv'), curveCsv(lossCurve(4, 3)));
  });

  test('MLFLOW_EXPERIMENT_NAME sends the runs to that experiment instead', async () => {
    const experiment = `${pipeline}-override`;
    const { result } = await p.runTracked(uri, ['--set', 'fit.epochs=3'], { MLFLOW_EXPERIMENT_NAME: experiment });
    const runs = await rest.runs(await rest.experimentId(experiment));
    assert.is(runs.length, 5);
    const { steps } = pipelineRun(runs, result.runId);
    assert.equal(Object.keys(steps).sort(), ['base', 'double', 'fit', 'raw']);
    assert.is(tagsOf(steps.fit!)['tradepipe.cached'], 'true');
    assert.is((await rest.runs(experimentId)).length, 10, 'nothing more in the pipeline-named experiment');
  });
}

test.run();
