import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSegmentId, listSegments, readSegment, segmentIds, segmentPath, SegmentWriter } from '../../engine/tracking/outbox.ts';
import { toBatches } from '../../engine/tracking/shipper.ts';
import type { OutboxRecord } from '../../engine/tracking/outbox-records.ts';

const dir = mkdtempSync(join(tmpdir(), 'tracking-outbox-'));

test('records are numbered, readable from an offset, and survive reopening', () => {
  const path = join(dir, 'a.jsonl');
  const w = new SegmentWriter(path);
  w.append({ op: 'run', run: 'a', experiment: 'e', name: 'p', start: 1, tags: {} });
  w.append({ op: 'metric', run: 'a', key: 'loss', value: 'NaN', step: 3, t: 5 });
  w.close();
  const all = readSegment(path);
  assert.equal(all.records.map((r) => r.record.seq), [1, 2]);
  assert.equal(all.records[1]!.record, { seq: 2, op: 'metric', run: 'a', key: 'loss', value: 'NaN', step: 3, t: 5 });
  assert.equal(readSegment(path, all.records[0]!.next).records.map((r) => r.record.seq), [2]);
  const again = new SegmentWriter(path);
  assert.is(again.lastSeq, 2);
  again.append({ op: 'end', run: 'a', status: 'FINISHED', end: 9 });
  again.close();
  assert.equal(readSegment(path).records.map((r) => r.record.op), ['run', 'metric', 'end']);
});

test('a torn last line (crash mid-write) is ignored, then cut when the segment is reopened', () => {
  const path = join(dir, 'b.jsonl');
  const w = new SegmentWriter(path);
  w.append({ op: 'tags', run: 'b', tags: { x: '1' } });
  w.close();
  appendFileSync(path, '{"seq":2,"op":"met');
  assert.equal(readSegment(path).records.length, 1);
  const again = new SegmentWriter(path);
  again.append({ op: 'tags', run: 'b', tags: { y: '2' } });
  again.close();
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.is(lines.length, 2);
  assert.equal(JSON.parse(lines[1]!), { seq: 2, op: 'tags', run: 'b', tags: { y: '2' } });
});

test('held records are numbered at once and written in one go: before the next record, on flush, or within holdMs', async () => {
  const path = join(dir, 'c.jsonl');
  const w = new SegmentWriter(path, 200, 30);
  w.append({ op: 'run', run: 'c', experiment: 'e', name: 'p', start: 1, tags: {} });
  w.hold([
    { op: 'run', run: 'c:s1', parent: 'c', experiment: 'e', name: 's1', start: 2, tags: {} },
    { op: 'end', run: 'c:s1', status: 'FINISHED', end: 2 },
  ]);
  assert.is(w.lastSeq, 3);
  assert.equal(readSegment(path).records.map((r) => r.record.seq), [1]);
  w.append({ op: 'metric', run: 'c', key: 'k', value: 1, step: 0, t: 3 });
  assert.equal(readSegment(path).records.map((r) => r.record.seq), [1, 2, 3, 4]);
  w.hold({ op: 'end', run: 'c', status: 'FINISHED', end: 4 });
  w.flush();
  assert.equal(readSegment(path).records.map((r) => r.record.seq), [1, 2, 3, 4, 5]);
  w.hold({ op: 'tags', run: 'c', tags: { late: '1' } });
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(readSegment(path).records.map((r) => r.record.seq), [1, 2, 3, 4, 5, 6]);
  w.hold({ op: 'tags', run: 'c', tags: { last: '1' } });
  w.close();
  assert.equal(readSegment(path).records.at(-1)!.record, { seq: 7, op: 'tags', run: 'c', tags: { last: '1' } });
});

test('listSegments orders by the start in each first record, reading only the segments it keeps', () => {
  const store = mkdtempSync(join(tmpdir(), 'tracking-list-'));
  try {
    const write = (id: string, start: number) => {
      const w = new SegmentWriter(segmentPath(store, id));
      w.append({ op: 'run', run: id, experiment: 'e', name: 'p', start, tags: { big: 'x'.repeat(10_000) } });
      w.close();
    };
    write('late', 300);
    write('early', 100);
    write('middle', 200);
    assert.equal(listSegments(store), ['early', 'middle', 'late']);
    assert.equal(listSegments(store, (id) => id !== 'middle'), ['early', 'late']);
    assert.equal(segmentIds(store).sort(), ['early', 'late', 'middle']);
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});

test('segment ids must be safe file names', () => {
  assertSegmentId('20260101T000000-ab12cd');
  assert.throws(() => assertSegmentId('../x'), /local run id "\.\.\/x" must match/);
  assert.throws(() => assertSegmentId(''), /must match/);
});

test('log-batch requests stay within MLflow limits (1000 metrics, 100 params+tags, 1000 entities)', () => {
  const records: OutboxRecord[] = [];
  let seq = 0;
  const params: Record<string, string> = {};
  for (let i = 0; i < 150; i++) params[`p${i}`] = String(i);
  records.push({ seq: ++seq, op: 'params', run: 'r', params });
  for (let i = 0; i < 1500; i++) records.push({ seq: ++seq, op: 'metric', run: 'r', key: 'loss', value: i, step: i, t: 1000 + i });
  records.push({ seq: ++seq, op: 'tags', run: 'r', tags: { a: '1' } });
  records.push({ seq: ++seq, op: 'tags', run: 'r', tags: { a: '2' } });
  const batches = toBatches(records);
  assert.equal(
    batches.map((b) => [b.params.length, b.tags.length, b.metrics.length]),
    [
      [100, 0, 900],
      [50, 1, 600],
    ],
  );
  // Repeated tag keys collapse to the last value (one log-batch may not repeat a key).
  assert.equal(batches[1]!.tags, [['a', '2']]);
  assert.equal(batches[1]!.metrics.at(-1), { key: 'loss', value: 1499, step: 1499, timestamp: 2499 });
  for (const b of batches) {
    assert.ok(b.metrics.length <= 1000 && b.params.length + b.tags.length <= 100 && b.metrics.length + b.params.length + b.tags.length <= 1000);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
