/**
 * A real MLflow server killed and restarted while a pipeline runs: the pipeline completes,
 * nothing is lost, nothing is duplicated. Runs its own server (MLFLOW_BIN or `mlflow` on PATH).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MlflowClient, type MlflowRun } from '../../engine/tracking/client.ts';
import { openTracking } from '../../engine/tracking/sink.ts';
import { trackSync } from '../../engine/tracking/commands/sync.ts';
import { captureIO, tempProject, warnings } from './support.ts';
import { mlflowBinary, startMlflowServer, type MlflowServer } from './mlflow-server.ts';

const bin = mlflowBinary();
if (!bin && process.env.CI === 'true') throw new Error('tracking/mlflow-outage: no mlflow executable under CI=true (MLFLOW_BIN unset and none on PATH; source .ci/services/mlflow.sh)');
if (!bin) console.log('SKIP tracking/mlflow-outage: no mlflow executable (set MLFLOW_BIN or put mlflow on PATH)');

if (bin) {
  const project = tempProject();
  let server: MlflowServer;
  let client: MlflowClient;

  test.before(async () => {
    server = await startMlflowServer(bin);
    client = new MlflowClient({ uri: server.uri });
  });
  test.after(async () => {
    await server?.dispose();
    project.cleanup();
  });

  const runsByLocalId = async (localId: string): Promise<MlflowRun[]> => {
    const experiment = await client.getExperimentByName('outage');
    const { runs } = await client.searchRuns({ experiment_ids: [experiment!.experiment_id], filter: `tags.\`tradepipe.local_run_id\` = '${localId}'` });
    return runs;
  };
  const history = async (localId: string, key: string): Promise<number[]> => {
    const [run] = await runsByLocalId(localId);
    return (await client.getMetricHistory(run!.info.run_id, key)).map((m) => m.step).sort((a, b) => a - b);
  };
  const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
  const waitFor = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  test('server killed and restarted mid-run: the run finishes and everything arrives once', async () => {
    const w = warnings();
    const env = { MLFLOW_TRACKING_URI: server.uri, MLFLOW_EXPERIMENT_NAME: 'outage', TRADEPIPE_TRACKING_FLUSH_TIMEOUT_S: '30' };
    const tracking = await openTracking({ store: project.store, env, log: w.log, shipIntervalMs: 200 });
    tracking.start({ localRunId: 'outage-a', pipeline: 'outage', file: 'p.yaml', startedAt: Date.now() });
    const train = tracking.step({ stepId: 'train', plugin: 'agent.ppo', version: '1', key: 'sha256:a', params: { lr: 0.1 } });
    for (let i = 0; i < 300; i++) train.metric('loss', i, i);
    await waitFor('the first 300 points on the server', async () => (await history('outage-a:train', 'loss')).length === 300);

    await server.kill();
    for (let i = 300; i < 600; i++) train.metric('loss', i, i);
    await train.finish('FINISHED', 10);
    const evaluate = tracking.step({ stepId: 'evaluate', plugin: 'backtest', version: '1', key: 'sha256:b', params: {} });
    for (let i = 0; i < 100; i++) evaluate.metric('reward', i, i);
    await evaluate.finish('FINISHED', 10);
    await waitFor('the background shipper to notice the outage', async () => w.list.length > 0);
    assert.match(w.list[0]!, new RegExp(`^tracking: cannot ship to ${server.uri.replace(/\./g, '\\.')} \\(.*\\); buffering in .*outage-a\\.jsonl and retrying$`));

    await server.start();
    const result = await tracking.finish('FINISHED');
    assert.equal(result.warnings, []);
    assert.is(w.list.length, 1, 'the outage is reported once');
    assert.equal(await history('outage-a:train', 'loss'), range(0, 600));
    assert.equal(await history('outage-a:evaluate', 'reward'), range(0, 100));
    for (const id of ['outage-a', 'outage-a:train', 'outage-a:evaluate']) {
      const runs = await runsByLocalId(id);
      assert.is(runs.length, 1, `one run for ${id}`);
      assert.is(runs[0]!.info.status, 'FINISHED');
    }
  });

  test('server down at the end: the pipeline completes with a warning, and track sync ships the rest', async () => {
    const w = warnings();
    const env = { MLFLOW_TRACKING_URI: server.uri, MLFLOW_EXPERIMENT_NAME: 'outage', TRADEPIPE_TRACKING_FLUSH_TIMEOUT_S: '2' };
    const tracking = await openTracking({ store: project.store, env, log: w.log, shipIntervalMs: 200 });
    tracking.start({ localRunId: 'outage-b', pipeline: 'outage', file: 'p.yaml', startedAt: Date.now() });
    const train = tracking.step({ stepId: 'train', plugin: 'agent.ppo', version: '1', key: 'sha256:c', params: { lr: 0.2 } });
    for (let i = 0; i < 50; i++) train.metric('loss', i, i);
    await waitFor('the first points on the server', async () => (await history('outage-b:train', 'loss')).length === 50);
    await server.kill();
    for (let i = 50; i < 200; i++) train.metric('loss', i, i);
    await train.finish('FINISHED', 10);
    const started = Date.now();
    const result = await tracking.finish('FINISHED');
    assert.ok(Date.now() - started < 10_000, 'finish waits a bounded time');
    assert.is(result.warnings.length, 1);
    assert.match(
      result.warnings[0]!,
      /^tracking: run outage-b is not fully shipped to http:\/\/127\.0\.0\.1:\d+ \(.*\)\. Nothing is lost: it is kept in .*outage-b\.jsonl; run `tradepipe track sync` to ship it\.$/,
    );

    const down = captureIO(project.store, env);
    assert.is(await trackSync({ timeoutS: 2 }, down.io), 1);
    assert.match(down.err(), /^error: outage-b: \d+ record\(s\) still pending for http:\/\/127\.0\.0\.1:\d+: /);

    await server.start();
    const up = captureIO(project.store, env);
    assert.is(await trackSync({}, up.io), 0);
    assert.match(up.out(), /^outage-b: shipped \d+ record\(s\)\nup to date with http:\/\/127\.0\.0\.1:\d+ \(2 run\(s\), \d+ record\(s\) shipped now\)\n$/);
    assert.equal(await history('outage-b:train', 'loss'), range(0, 200));
    for (const id of ['outage-b', 'outage-b:train']) {
      const runs = await runsByLocalId(id);
      assert.is(runs.length, 1, `one run for ${id}`);
      assert.is(runs[0]!.info.status, 'FINISHED');
    }
  });
}
test.run();
