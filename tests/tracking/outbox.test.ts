import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSegment, SegmentWriter, assertSegmentId } from '../../engine/tracking/outbox.ts';
import { toBatches } from '../../engine/tracking/shipper.ts';
import type { OutboxRecord } from '../../engine/tracking/records.ts';

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
