/** The planner as a pure function: decisions and their reasons from manifests and a cache view. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KeyManifest } from '../../engine/key.ts';
import { cacheKey } from '../../engine/key.ts';
import { decide, describeReasons, diffManifests, planSteps, type CacheView } from '../../engine/planner.ts';
import type { RunRecord } from '../../engine/records.ts';

const manifest = (over: Partial<KeyManifest> = {}): KeyManifest => ({
  plugin: 'add',
  version: '1',
  code: 'sha256:code',
  params: { amount: 1 },
  inputs: {},
  deps: {},
  env: {},
  ...over,
});

const record = (stepId: string, m: KeyManifest, runId = 'run-1'): RunRecord => ({
  key: cacheKey(m),
  stepId,
  pipeline: 'p.yaml',
  manifest: m,
  outputs: { value: { kind: 'json', hash: `sha256:${stepId}-out`, size: 1 } },
  files: {},
  runId,
  finishedAt: '2026-12-01T00:00:00.000Z',
  durationMs: 5,
});

function view(records: RunRecord[], latest: Record<string, RunRecord> = {}, complete = true): CacheView {
  const byKey = new Map(records.map((r) => [r.key, r]));
  return { record: (key) => byKey.get(key), latest: (id) => latest[id], complete: () => complete };
}

const flags = { forced: false, cache: true, alwaysRun: false };

test('a never-run step runs; the same manifest afterwards is up to date', () => {
  const m = manifest();
  assert.equal(decide('a', m, view([]), flags).reasons, [{ kind: 'never-run' }]);
  const r = record('a', m);
  const d = decide('a', m, view([r], { a: r }), flags);
  assert.is(d.action, 'cached');
  assert.is(d.key, r.key);
  assert.is(describeReasons(d.reasons), 'up to date');
});

test('a changed param is named with its before and after values', () => {
  const before = record('a', manifest());
  const d = decide('a', manifest({ params: { amount: 2 } }), view([before], { a: before }), flags);
  assert.is(d.action, 'run');
  assert.is(describeReasons(d.reasons), 'param `amount` 1→2');
});

test('changing back to an earlier manifest restores that run instead of rerunning', () => {
  const first = record('a', manifest(), 'run-1');
  const second = record('a', manifest({ params: { amount: 2 } }), 'run-2');
  const d = decide('a', manifest(), view([first, second], { a: second }), flags);
  assert.is(d.action, 'cached');
  assert.is(d.record, first);
  assert.is(describeReasons(d.reasons), 'outputs of an earlier run (run-1, 2026-12-01T00:00:00.000Z) match; param `amount` 2→1');
});

test('forced, cache: false and always_run win over a cached record, in that order', () => {
  const r = record('a', manifest());
  const v = view([r], { a: r });
  assert.equal(decide('a', manifest(), v, { forced: true, cache: false, alwaysRun: true }).reasons, [{ kind: 'forced' }]);
  assert.equal(decide('a', manifest(), v, { forced: false, cache: false, alwaysRun: true }).reasons, [{ kind: 'cache-disabled' }]);
  assert.equal(decide('a', manifest(), v, { forced: false, cache: true, alwaysRun: true }).reasons, [{ kind: 'always-run' }]);
});

test('a record whose objects are gone reruns as outputs-missing', () => {
  const r = record('a', manifest());
  assert.equal(decide('a', manifest(), view([r], { a: r }, false), flags).reasons, [{ kind: 'outputs-missing' }]);
  assert.equal(decide('a', manifest(), view([r], {}, false), flags).reasons, [{ kind: 'outputs-missing' }]);
});

test('diffManifests: version before code, then params, inputs, files, env and models', () => {
  const before = manifest({ inputs: { x: 'h1' }, deps: { 'a.csv': 'h1' }, env: { TOKEN: 'e1' }, models: { 'models:/m@champion': 'm/1 sha256:1' } });
  const after = manifest({
    version: '2',
    code: 'sha256:other',
    params: { amount: 1, extra: true },
    inputs: { x: 'h2', y: 'h3' },
    deps: {},
    env: { TOKEN: 'e2' },
    models: { 'models:/m@champion': 'm/2 sha256:2' },
  });
  assert.equal(diffManifests(before, after).map((r) => describeReasons([r])), [
    'plugin version 1→2',
    'param `extra` (unset)→true',
    'input `x` changed',
    'input `y` added',
    'file `a.csv` removed',
    'env `TOKEN` changed',
    'model `models:/m@champion` now resolves to m/2',
  ]);
  assert.equal(diffManifests(manifest(), manifest({ code: 'sha256:other' })), [{ kind: 'plugin-code' }]);
});

test('planSteps: a step below one that runs waits for it (upstream), unless forced', () => {
  const a = record('a', manifest());
  const plan = planSteps(
    [
      { id: 'a', upstream: [], flags },
      { id: 'b', upstream: ['a'], flags },
      { id: 'c', upstream: ['b'], flags: { ...flags, forced: true } },
    ],
    (id) => manifest({ params: { id, amount: 2 } }),
    view([a], { a }),
  );
  assert.equal([...plan.values()].map((d) => [d.id, d.action, describeReasons(d.reasons)]), [
    ['a', 'run', 'param `amount` 1→2; param `id` (unset)→"a"'],
    ['b', 'run', 'upstream `a` will run'],
    ['c', 'run', 'forced'],
  ]);
});

test('planSteps: cached upstream records feed the downstream manifest', () => {
  const a = record('a', manifest());
  const seen: string[] = [];
  planSteps(
    [
      { id: 'a', upstream: [], flags },
      { id: 'b', upstream: ['a'], flags },
    ],
    (id, upstream) => {
      seen.push(`${id}:${[...upstream.entries()].map(([u, r]) => `${u}=${r.outputs.value!.hash}`).join(',')}`);
      return id === 'a' ? manifest() : manifest({ inputs: { x: upstream.get('a')!.outputs.value!.hash } });
    },
    view([a], { a }),
  );
  assert.equal(seen, ['a:', 'b:a=sha256:a-out']);
});

test('package versions: an upgrade, a new and a dropped package are named; a record without versions says so once', () => {
  const before = manifest({ packages: { yaml: '2.8.0', ajv: '8.17.1', execa: '9.0.0' } });
  const after = manifest({ packages: { yaml: '2.9.1', ajv: '8.17.1', papaparse: '5.5.3' } });
  assert.is(
    describeReasons(diffManifests(before, after)),
    'package `yaml` 2.8.0→2.9.1; package `papaparse` 5.5.3 added; package `execa` 9.0.0 no longer imported',
  );
  assert.is(describeReasons(diffManifests(manifest(), after)), 'package versions not recorded by the last run');
  // New imports come with new code: then the added packages are listed, not the record's age.
  assert.is(
    describeReasons(diffManifests(manifest(), { ...after, code: 'sha256:other' })),
    'plugin code changed; package `yaml` 2.9.1 added; package `ajv` 8.17.1 added; package `papaparse` 5.5.3 added',
  );
  assert.is.not(cacheKey(before), cacheKey(after));
});

test.run();
