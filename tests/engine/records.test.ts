/** Run records (key -> outputs, written once), step pointers with history, and run summaries. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { projectPaths } from '../../engine/project.ts';
import { openRecords, type RunRecord } from '../../engine/records.ts';

const root = mkdtempSync(join(tmpdir(), 'tradepipe-records-'));
const paths = projectPaths(root);

const record = (key: string, runId: string): RunRecord => ({
  key,
  stepId: 'train/a b',
  pipeline: 'pipelines.d/p.yaml',
  manifest: { plugin: 'add', version: '1', code: 'c', params: {}, inputs: {}, deps: {}, env: {} },
  outputs: { value: { kind: 'json', hash: 'sha256:out', size: 2 } },
  files: {},
  runId,
  finishedAt: '2026-12-01T00:00:00.000Z',
  durationMs: 1,
});

test('a written record reads back by key, from a fresh handle too, and can be removed', async () => {
  const key = `sha256:${'ab'.repeat(32)}`;
  const records = openRecords(paths);
  assert.is(records.read(key), undefined);
  await records.write(record(key, 'run-1'));
  assert.equal(openRecords(paths).read(key), record(key, 'run-1'));
  assert.equal(openRecords(paths).allRecordKeys(), [key]);
  await records.remove(key);
  assert.is(openRecords(paths).read(key), undefined);
});

test('a pointer keeps its history newest first without repeats; ids with slashes and spaces are safe', async () => {
  const records = openRecords(paths);
  await records.point('pipelines.d/p.yaml', 'train/a b', 'k1', 'run-1');
  await records.point('pipelines.d/p.yaml', 'train/a b', 'k2', 'run-2');
  await records.point('pipelines.d/p.yaml', 'train/a b', 'k1', 'run-3');
  const pointer = openRecords(paths).pointer('pipelines.d/p.yaml', 'train/a b')!;
  assert.is(pointer.key, 'k1');
  assert.equal(pointer.history.map((h) => [h.key, h.runId]), [
    ['k1', 'run-3'],
    ['k2', 'run-2'],
  ]);
  assert.is(openRecords(paths).allPointers().length, 1);
});

test('run summaries list newest first', async () => {
  const records = openRecords(paths);
  for (const [runId, startedAt] of [['r1', '2026-12-01T00:00:00Z'], ['r3', '2026-12-03T00:00:00Z'], ['r2', '2026-12-02T00:00:00Z']]) {
    await records.writeRun({ runId: runId!, pipeline: 'p.yaml', startedAt: startedAt!, finishedAt: startedAt!, status: 'succeeded', steps: [] });
  }
  assert.equal(openRecords(paths).runs().map((r) => r.runId), ['r3', 'r2', 'r1']);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
