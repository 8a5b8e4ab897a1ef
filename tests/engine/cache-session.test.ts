/** The planner's view of the cache: a record is complete while every object it names is in the store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openSession } from '../../engine/cache-session.ts';
import { hashBytes } from '../../engine/hash.ts';
import type { RunRecord } from '../../engine/records.ts';

const root = mkdtempSync(join(tmpdir(), 'tradepipe-cache-session-'));
const PIPELINE = 'pipelines.d/p.yaml';

const recordOf = (stepId: string, hash: string): RunRecord => ({
  key: hashBytes(`key of ${stepId}`),
  stepId,
  pipeline: PIPELINE,
  manifest: { plugin: 'add', version: '1', code: 'c', params: {}, inputs: {}, deps: {}, env: {} },
  outputs: { value: { kind: 'json', hash, size: 1 } },
  files: {},
  runId: 'run-1',
  finishedAt: '2026-12-01T00:00:00.000Z',
  durationMs: 1,
});

test('completeness from the snapshot: present objects count, removed ones do not, in the same view and in a new one', async () => {
  const writer = openSession(root);
  const a = recordOf('a', await writer.store.putBytes('1'));
  const b = recordOf('b', await writer.store.putBytes('2'));
  for (const r of [a, b]) {
    await writer.records.write(r);
    await writer.records.point(PIPELINE, r.stepId, r.key, r.runId);
  }
  await writer.records.snapshot(PIPELINE, ['a', 'b']);

  // Another process: it stats the snapshot's objects in one loop on its first question.
  const reader = openSession(root);
  assert.equal(reader.records.snapshotRecords(PIPELINE).map((r) => r.stepId).sort(), ['a', 'b']);
  rmSync(reader.store.objectPath(b.outputs.value!.hash));
  const view = reader.view(PIPELINE);
  assert.is(view.complete(a), true);
  assert.is(view.complete(b), false, 'its object was removed before the view looked');
  rmSync(reader.store.objectPath(a.outputs.value!.hash));
  assert.is(view.complete(a), false, 'asked again, the view looks again');
  assert.is(reader.view(PIPELINE).complete(a), false);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
