/**
 * The UI with an MLflow server configured (MLFLOW_TRACKING_URI, started by
 * .ci/services/mlflow.sh): the step panel links to the step's run on the server, and no
 * response carries the tracking token.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { project } from '../helpers/project.ts';
import { startUi } from './support.ts';

const uri = process.env.MLFLOW_TRACKING_URI;
if (!uri && process.env.CI === 'true') throw new Error('ui/mlflow: MLFLOW_TRACKING_URI not set under CI=true (source .ci/services/mlflow.sh)');
if (!uri) console.log('SKIP ui/mlflow: MLFLOW_TRACKING_URI not set');

test('the step panel links to the run on the MLflow server; the token never reaches the page', async () => {
  if (!uri) return;
  const tag = randomBytes(4).toString('hex');
  const token = `tok-${tag}-secret-value`;
  const env = { MLFLOW_TRACKING_URI: uri, MLFLOW_TRACKING_TOKEN: token, MLFLOW_EXPERIMENT_NAME: `tradepipe-ui-${tag}` };
  const p = project({ 'pipelines.d/p.yaml': 'pipeline: linked\nsteps:\n  a: { uses: exec, with: { cmd: "mkdir -p out && echo 1 > out/a", outs: [out/a] } }\n' });
  const ui = await startUi(p.dir, [], env).catch((error) => {
    p.cleanup();
    throw error;
  });
  try {
    const run = await p.run(['run', 'pipelines.d/p.yaml'], { env });
    assert.is(run.code, 0, run.stderr);
    const bodies: string[] = [];
    const get = async (path: string) => {
      const text = await (await fetch(`${ui.origin}${path}`)).text();
      bodies.push(text);
      return JSON.parse(text);
    };
    const step = await get('/api/steps/a');
    const m = new RegExp(`^${uri.replace(/\/$/, '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/#/experiments/(\\d+)/runs/([0-9a-f]{32})$`).exec(step.mlflowUrl);
    assert.ok(m, `mlflowUrl ${step.mlflowUrl}`);
    const server = await (await fetch(`${uri.replace(/\/$/, '')}/api/2.0/mlflow/runs/get?run_id=${m![2]}`)).json();
    const tags = Object.fromEntries((server.run.data.tags as { key: string; value: string }[]).map((t) => [t.key, t.value]));
    assert.is(tags['tradepipe.step_id'], 'a');
    assert.is(server.run.info.experiment_id, m![1]);
    await get('/api/pipelines');
    await get('/api/pipelines/linked/graph');
    const runs = await get('/api/runs?pipeline=linked');
    await get(`/api/runs/${runs[0].runId}`);
    assert.ok(bodies.every((b) => !b.includes(token)), 'the token is never sent');
  } finally {
    await ui.stop();
    p.cleanup();
  }
});

test.run();
