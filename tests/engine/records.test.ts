/** Run records (key -> outputs, written once), step pointers with history, and run summaries. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const PIPELINE = 'pipelines.d/snap.yaml';
const snapshotFile = () => join(paths.snapshots, `${encodeURIComponent(PIPELINE)}.json`);
const keyOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

test('a run leaves one snapshot of its pipeline; a fresh handle reads pointers and records from it alone', async () => {
  const records = openRecords(paths);
  await records.write({ ...record(keyOf(1), 'run-1'), stepId: 'a', pipeline: PIPELINE });
  await records.point(PIPELINE, 'a', keyOf(1), 'run-1');
  await records.snapshot(PIPELINE, ['a', 'never-ran']);
  const snapshot = JSON.parse(readFileSync(snapshotFile(), 'utf8')) as { pointers: Record<string, unknown>; records: Record<string, unknown> };
  assert.equal(Object.keys(snapshot.pointers), ['a', 'never-ran']);
  assert.is(snapshot.pointers['never-ran'], null);
  assert.equal(Object.keys(snapshot.records), [keyOf(1)]);
  // Proof that a reader needs nothing else: with the per-step files gone, it still sees them.
  rmSync(paths.steps, { recursive: true, force: true });
  rmSync(paths.records, { recursive: true, force: true });
  const fresh = openRecords(paths);
  assert.is(fresh.pointer(PIPELINE, 'a')?.key, keyOf(1));
  assert.is(fresh.read(keyOf(1))?.runId, 'run-1');
  assert.is(fresh.pointer(PIPELINE, 'never-ran'), undefined);
  // Up to date and complete: the next run's end writes nothing.
  const before = readFileSync(snapshotFile(), 'utf8');
  await fresh.snapshot(PIPELINE, ['a', 'never-ran']);
  assert.is(readFileSync(snapshotFile(), 'utf8'), before);
});

test('moving a pointer deletes the snapshot before the pointer is written: a process that dies then leaves no stale copy', async () => {
  const records = openRecords(paths);
  await records.write({ ...record(keyOf(2), 'run-2'), stepId: 'a', pipeline: PIPELINE });
  await records.point(PIPELINE, 'a', keyOf(1), 'run-1');
  await records.snapshot(PIPELINE, ['a']);
  assert.ok(existsSync(snapshotFile()));
  const moving = openRecords(paths);
  assert.is(moving.pointer(PIPELINE, 'a')?.key, keyOf(1));
  const durable = moving.point(PIPELINE, 'a', keyOf(2), 'run-2');
  assert.not.ok(existsSync(snapshotFile()), 'gone as soon as the move is asked for');
  await durable;
  // The process "dies" here, before its run's end would write a new snapshot.
  const next = openRecords(paths);
  assert.is(next.pointer(PIPELINE, 'a')?.key, keyOf(2));
  assert.equal(next.pointer(PIPELINE, 'a')?.history.map((h) => h.key), [keyOf(2), keyOf(1)]);
  await next.snapshot(PIPELINE, ['a']);
  assert.is(openRecords(paths).pointer(PIPELINE, 'a')?.key, keyOf(2));
});

test('a snapshot that misses a step, or is of another format, is not trusted', async () => {
  const records = openRecords(paths);
  await records.point(PIPELINE, 'b', keyOf(2), 'run-2');
  await records.snapshot(PIPELINE, ['a']);
  const reader = openRecords(paths);
  assert.is(reader.pointer(PIPELINE, 'b')?.key, keyOf(2), 'not in the snapshot: read from its file');
  await reader.snapshot(PIPELINE, ['a', 'b']);
  assert.equal(Object.keys((JSON.parse(readFileSync(snapshotFile(), 'utf8')) as { pointers: object }).pointers), ['a', 'b']);
  writeFileSync(snapshotFile(), JSON.stringify({ format: 99, pointers: { a: null }, records: {} }));
  assert.is(openRecords(paths).pointer(PIPELINE, 'a')?.key, keyOf(2));
});

test('a record rewritten under its key (an always-run step) removes every snapshot, which may hold the old copy', async () => {
  const records = openRecords(paths);
  await records.write({ ...record(keyOf(3), 'run-1'), stepId: 'c', pipeline: PIPELINE });
  await records.point(PIPELINE, 'c', keyOf(3), 'run-1');
  await records.snapshot(PIPELINE, ['c']);
  const next = openRecords(paths);
  assert.is(next.read(keyOf(3))?.runId, 'run-1');
  await next.write({ ...record(keyOf(3), 'run-2'), stepId: 'c', pipeline: PIPELINE });
  assert.not.ok(existsSync(snapshotFile()));
  assert.is(openRecords(paths).read(keyOf(3))?.runId, 'run-2');
});

test('removing a record (gc) removes every snapshot, which may hold a copy of it', async () => {
  const records = openRecords(paths);
  await records.snapshot(PIPELINE, ['a']);
  assert.ok(readdirSync(paths.snapshots).length > 0);
  await records.remove(keyOf(1));
  assert.not.ok(existsSync(paths.snapshots));
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
