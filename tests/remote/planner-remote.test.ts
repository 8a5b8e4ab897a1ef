/** The planner with remote knowledge as input state: pure decisions, no I/O. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cacheKey, type KeyManifest } from '../../engine/key.ts';
import { decide, describeReasons, planSteps, type CacheView, type SharedHit } from '../../engine/planner.ts';
import type { RunRecord } from '../../engine/records.ts';

const manifest = (params: Record<string, unknown>, inputs: Record<string, string> = {}): KeyManifest => ({
  plugin: 'add',
  version: '1',
  code: 'sha256:code',
  params,
  inputs,
  deps: {},
  env: {},
});

const record = (stepId: string, m: KeyManifest, out: string): RunRecord => ({
  key: cacheKey(m),
  stepId,
  pipeline: 'p.yaml',
  manifest: m,
  outputs: { value: { kind: 'json', hash: out, size: 1 } },
  files: {},
  runId: 'run-remote',
  finishedAt: '2026-12-01T00:00:00.000Z',
  durationMs: 5,
});

function view(local: RunRecord[], shared: RunRecord[], complete = true): CacheView {
  const mine = new Map(local.map((r) => [r.key, r]));
  const theirs = new Map<string, SharedHit>(shared.map((r) => [r.key, { remote: 'team', record: r, host: 'alice-ws' }]));
  return { record: (k) => mine.get(k), latest: () => undefined, complete: () => complete, shared: (k) => theirs.get(k) };
}

const flags = { forced: false, cache: true, alwaysRun: false };

test('a key only the remote holds is cached, with who produced it where', () => {
  const m = manifest({ amount: 1 });
  const r = record('a', m, 'sha256:a-out');
  const d = decide('a', m, view([], [r]), flags);
  assert.is(d.action, 'cached');
  assert.is(d.record, r);
  assert.is(describeReasons(d.reasons), 'found in remote team (run run-remote on alice-ws)');
});

test('a complete local record wins over the remote; an incomplete one does not; forced steps ignore both', () => {
  const m = manifest({ amount: 1 });
  const r = record('a', m, 'sha256:a-out');
  assert.equal(decide('a', m, view([r], [r]), flags).reasons[0]!.kind, 'restored');
  assert.equal(decide('a', m, view([r], [r], false), flags).reasons[0]!.kind, 'remote');
  assert.equal(decide('a', m, view([], [r]), { ...flags, forced: true }).action, 'run');
  assert.equal(decide('a', m, view([], [r]), { ...flags, cache: false }).action, 'run');
});

test('a remote hit gives its dependents their keys, so the whole chain plans as cached', () => {
  const a = record('a', manifest({ amount: 1 }), 'sha256:a-out');
  const bManifest = manifest({ amount: 2 }, { x: 'sha256:a-out' });
  const b = record('b', bManifest, 'sha256:b-out');
  const order = [
    { id: 'a', upstream: [], flags },
    { id: 'b', upstream: ['a'], flags },
  ];
  const manifestOf = (id: string, upstream: ReadonlyMap<string, RunRecord>) =>
    id === 'a' ? manifest({ amount: 1 }) : manifest({ amount: 2 }, { x: upstream.get('a')!.outputs.value!.hash });
  const plan = planSteps(order, manifestOf, view([], [a, b]));
  assert.equal(
    [...plan.values()].map((d) => [d.id, d.action, d.reasons[0]!.kind]),
    [
      ['a', 'cached', 'remote'],
      ['b', 'cached', 'remote'],
    ],
  );
  assert.is(plan.get('b')!.key, b.key);
  const withoutB = planSteps(order, manifestOf, view([], [a]));
  assert.equal(withoutB.get('b')!.reasons, [{ kind: 'never-run' }]);
});

test.run();
