/** The filesystem model registry (no server configured): register and promote steps, model URIs, `models` commands. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTracking, type RunTracking, type StepTracking } from '../../engine/tracking/sink.ts';
import { resolveModelUri, parseModelUri } from '../../engine/tracking/registry/model-uri.ts';
import { fsRegistry } from '../../engine/tracking/registry/fs-registry.ts';
import { modelsList, modelsPromote, modelsShow } from '../../engine/tracking/commands/models.ts';
import { trackingLiveObjects } from '../../engine/tracking/gc-roots.ts';
import register from '../../steps/registry.register/plugin.ts';
import promote from '../../steps/registry.promote/plugin.ts';
import { captureIO, jsonInput, modelDir, stepContext, storedInput, tempProject, warnings } from './support.ts';

const project = tempProject();
const registry = fsRegistry(project.store);
const conditions = [
  { metric: 'Sharpe ratio', op: '>' as const },
  { metric: 'Max drawdown', op: '>=' as const, tolerance: 0.05 },
];
let runCount = 0;

/** One pipeline run with a single step, the way the engine would drive it. */
async function inStep<T>(plugin: string, body: (step: StepTracking) => Promise<T>): Promise<T> {
  const tracking: RunTracking = await openTracking({ store: project.store, env: {}, log: warnings().log });
  tracking.start({ localRunId: `reg-${++runCount}`, pipeline: 'models', file: 'pipelines.d/models.yaml', startedAt: Date.now() });
  const step = tracking.step({ stepId: plugin, plugin, version: '1', key: `sha256:${runCount}`, params: {} });
  try {
    return await body(step);
  } finally {
    await step.finish('FINISHED', 5);
    await tracking.finish('FINISHED');
  }
}

async function registerModel(weights: string, stats: Record<string, number | null>) {
  const artifact = await storedInput(project.store, modelDir(project.root, `m-${weights}`, weights));
  return inStep('registry.register', async (step) => {
    const out = await register.run(stepContext(project.root, step), { name: 'ppo', artifact_path: 'model', alias: 'challenger' }, { artifact, stats: await jsonInput(project.store, stats) });
    return { value: (out.model as { value: { name: string; version: string; source: string } }).value, hash: artifact.hash };
  });
}

async function promoteChallenger(stats: Record<string, number | null>) {
  return inStep('registry.promote', async (step) => {
    const out = await promote.run(stepContext(project.root, step), { model: 'ppo', metric_conditions: conditions as never }, { stats: await jsonInput(project.store, stats) });
    return (out.decision as { value: Record<string, unknown> }).value;
  });
}

test('register stores the version as a content-hash reference with its run artifact URI as source', async () => {
  const { value, hash } = await registerModel('aaa', { 'Sharpe ratio': 1.0, 'Max drawdown': -0.2 });
  assert.is(value.name, 'ppo');
  assert.is(value.version, '1');
  assert.match(value.source, /^file:\/\/.*\/tracking\/local\/artifacts\/[0-9a-f]{32}\/model$/);
  assert.is(readFileSync(new URL(value.source + '/policy/weights.bin'), 'utf8'), 'aaa');
  const v = await registry.getVersion('ppo', '1');
  assert.is(v?.contentHash, hash);
  assert.is(v?.contentKind, 'dir');
  assert.equal(v?.aliases, ['challenger']);
  assert.equal(JSON.parse(v!.tags['tradepipe.stats']!), { 'Sharpe ratio': 1.0, 'Max drawdown': -0.2 });
});

test('registering identical content again returns the existing version', async () => {
  const { value } = await registerModel('aaa', { 'Sharpe ratio': 1.0, 'Max drawdown': -0.2 });
  assert.is(value.version, '1');
  assert.is((await registry.getModel('ppo'))?.versions.length, 1);
});

test('promote: no champion yet, then a better challenger, then a worse one', async () => {
  const first = await promoteChallenger({ 'Sharpe ratio': 1.0, 'Max drawdown': -0.2 });
  assert.equal([first.promoted, first.reason, first.challenger, first.champion], [true, 'no current champion', '1', null]);

  await registerModel('bbb', { 'Sharpe ratio': 1.3, 'Max drawdown': -0.24 });
  const second = await promoteChallenger({ 'Sharpe ratio': 1.3, 'Max drawdown': -0.24 });
  assert.is(second.promoted, true);
  assert.is(second.reason, 'against champion version 1: Sharpe ratio 1.3 > 1; Max drawdown -0.24 >= -0.2 (tolerance 0.05)');
  assert.is((await registry.getVersionByAlias('ppo', 'champion'))?.version, '2');

  await registerModel('ccc', { 'Sharpe ratio': 1.8, 'Max drawdown': -0.4 });
  const third = await promoteChallenger({ 'Sharpe ratio': 1.8, 'Max drawdown': -0.4 });
  assert.is(third.promoted, false);
  assert.is(third.reason, 'against champion version 2: Max drawdown -0.4 not >= -0.24 (tolerance 0.05)');
  assert.equal(third.checks, [
    { metric: 'Sharpe ratio', op: '>', tolerance: 0, challenger: 1.8, champion: 1.3, passed: true },
    { metric: 'Max drawdown', op: '>=', tolerance: 0.05, challenger: -0.4, champion: -0.24, passed: false },
  ]);
  const model = await registry.getModel('ppo');
  assert.equal(model?.aliases, { challenger: '3', champion: '2' });
});

test('the promote decision is tagged on the step run', async () => {
  const { localBackend } = await import('../../engine/tracking/local-backend.ts');
  const [run] = await localBackend(project.storeDir).searchRuns({ tags: { 'tradepipe.step_id': 'registry.promote', 'promotion.challenger_version': '3' } });
  assert.is(run?.tags['promotion.decision'], 'rejected');
  assert.is(run?.tags['promotion.reason'], 'against champion version 2: Max drawdown -0.4 not >= -0.24 (tolerance 0.05)');
  assert.is(run?.tags['promotion.champion_version'], '2');
});

test('model URIs resolve to a version and its files in the store', async () => {
  const champion = await resolveModelUri('models:/ppo@champion', { store: project.store, env: {} });
  assert.equal([champion.name, champion.version, champion.contentKind], ['ppo', '2', 'dir']);
  assert.is(champion.contentHash, (await registry.getVersion('ppo', '2'))?.contentHash);
  assert.is(readFileSync(join(champion.localPath, 'policy', 'weights.bin'), 'utf8'), 'bbb');
  const pinned = await resolveModelUri('models:/ppo/3', { store: project.store, env: {} });
  assert.is(readFileSync(join(pinned.localPath, 'policy', 'weights.bin'), 'utf8'), 'ccc');
});

test('bad or unknown model URIs are clear errors', async () => {
  assert.equal(parseModelUri('models:/ppo@champion'), { name: 'ppo', alias: 'champion' });
  assert.equal(parseModelUri('models:/ppo/12'), { name: 'ppo', version: '12' });
  assert.throws(() => parseModelUri('models:/ppo'), /^"models:\/ppo" is not a model URI: expected models:\/<name>@<alias> or models:\/<name>\/<version>$/);
  const fail = async (uri: string) => resolveModelUri(uri, { store: project.store, env: {} }).then(() => 'resolved', (e: Error) => e.message);
  assert.is(await fail('models:/ppo@staging'), 'models:/ppo@staging: model ppo has no alias staging (aliases: challenger, champion)');
  assert.is(await fail('models:/ppo/9'), 'models:/ppo/9: model ppo has no version 9 (versions: 3, 2, 1)');
  assert.match(await fail('models:/nope@champion'), /^models:\/nope@champion: no registered model named "nope" \(registry: filesystem registry .*\)$/);
});

test('models list / show / promote', async () => {
  const list = captureIO(project.store);
  assert.is(await modelsList({}, list.io), 0);
  assert.is(list.out(), 'MODEL  VERSIONS  LATEST  ALIASES\nppo    3         3       challenger=3, champion=2\n');

  const show = captureIO(project.store);
  assert.is(await modelsShow({ name: 'ppo' }, show.io), 0);
  const lines = show.out().split('\n');
  assert.is(lines[0], 'model     ppo');
  assert.is(lines[1], 'aliases   challenger=3, champion=2');
  assert.match(lines[5]!, /^ {2}VERSION +ALIASES +STATUS +CREATED \(UTC\) +CONTENT HASH +SOURCE +STATS$/);
  assert.match(lines[6]!, /^ {2}3 +challenger +READY +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +sha256:[0-9a-f]{12} +file:\/\/\S+\/artifacts\/[0-9a-f]{32}\/model +Sharpe ratio=1\.8, Max drawdown=-0\.4$/);
  assert.match(lines[7]!, /^ {2}2 +champion +READY /);

  const manual = captureIO(project.store);
  assert.is(await modelsPromote({ name: 'ppo', version: '3', alias: 'champion' }, manual.io), 0);
  assert.is(manual.out(), 'ppo@champion -> version 3 (was version 2)\n');
  const missing = captureIO(project.store);
  assert.is(await modelsPromote({ name: 'ppo', version: '7', alias: 'champion' }, missing.io), 1);
  assert.match(missing.err(), /^error: model ppo has no version 7 in filesystem registry /);
  const badAlias = captureIO(project.store);
  assert.is(await modelsPromote({ name: 'ppo', version: '1', alias: 'latest' }, badAlias.io), 1);
  assert.is(badAlias.err(), `error: alias "latest": expected letters, digits, _ and - (not 'latest' nor v<number>)\n`);
});

test('the steps refuse aliases MLflow reserves at validation time', () => {
  const message = `alias "latest": expected letters, digits, _ and - (not 'latest' nor v<number>)`;
  assert.equal(register.check!({ name: 'ppo', alias: 'latest' }), [{ path: ['alias'], message }]);
  assert.equal(register.check!({ name: 'ppo', alias: null }), []);
  assert.equal(promote.check!({ model: 'ppo', metric_conditions: conditions as never, challenger_alias: 'v2' }), [
    { path: ['challenger_alias'], message: `alias "v2": expected letters, digits, _ and - (not 'latest' nor v<number>)` },
  ]);
});

test('registered files and tracked artifacts are reported as live for gc', async () => {
  const live = new Set((await trackingLiveObjects(project.store)).map((o) => o.hash));
  for (const v of (await registry.getModel('ppo'))!.versions) assert.ok(live.has(v.contentHash!));
});

test.after(() => project.cleanup());
test.run();
