/** The ship state: an append-only log per (target, segment) whose last commit wins, and the index of complete segments. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeSegments, markComplete, readShipState, shippedOffset, ShipLog, shipStatePath } from '../../engine/tracking/ship-state.ts';

const storeDir = mkdtempSync(join(tmpdir(), 'tracking-ship-state-'));
const path = (segment: string) => shipStatePath(storeDir, 'local', segment);

test('commits append one line each, with the run ids and rejections learnt since the last one', async () => {
  const log = await ShipLog.open(path('a'));
  assert.equal(log.state, { shippedSeq: 0, offset: 0, runs: {}, rejected: [], closed: false });
  log.recordRun('a', { runId: 'r1', artifactUri: 'file:///x/r1' });
  log.recordRun('a:train', { runId: 'r2', artifactUri: 'file:///x/r2' });
  assert.ok(log.dirty);
  await log.commit(3, 120, false);
  assert.not.ok(log.dirty);
  log.recordRejection({ fromSeq: 4, toSeq: 4, error: 'bad' });
  await log.commit(5, 200, true);
  assert.equal(readFileSync(path('a'), 'utf8').trim().split('\n'), [
    '{"run":"a","id":"r1","uri":"file:///x/r1"}',
    '{"run":"a:train","id":"r2","uri":"file:///x/r2"}',
    '{"seq":3,"offset":120}',
    '{"rejected":{"fromSeq":4,"toSeq":4,"error":"bad"}}',
    '{"seq":5,"offset":200,"closed":true}',
  ]);
  assert.equal(await readShipState(storeDir, 'local', 'a'), {
    shippedSeq: 5,
    offset: 200,
    runs: { a: { runId: 'r1', artifactUri: 'file:///x/r1' }, 'a:train': { runId: 'r2', artifactUri: 'file:///x/r2' } },
    rejected: [{ fromSeq: 4, toSeq: 4, error: 'bad' }],
    closed: true,
  });
  assert.is(await shippedOffset(storeDir, 'local', 'a'), 200);
});

test('a reset forgets everything before it; a torn last line (crash mid-append) is ignored and closed off', async () => {
  const log = await ShipLog.open(path('b'));
  log.recordRun('b', { runId: 'old', artifactUri: 'u' });
  await log.commit(7, 300, false);
  log.reset();
  assert.equal(log.state.runs, {});
  log.recordRun('b', { runId: 'new', artifactUri: 'u2' });
  await log.commit(2, 50, false);
  appendFileSync(path('b'), '{"seq":9,"off');
  const state = await readShipState(storeDir, 'local', 'b');
  assert.equal([state.shippedSeq, state.offset, state.runs], [2, 50, { b: { runId: 'new', artifactUri: 'u2' } }]);
  const again = await ShipLog.open(path('b'));
  await again.commit(3, 60, false);
  const lines = readFileSync(path('b'), 'utf8').split('\n');
  assert.equal(lines.slice(-3), ['{"seq":9,"off', '{"seq":3,"offset":60}', '']);
  assert.is(await shippedOffset(storeDir, 'local', 'b'), 60);
});

test('the shipped offset is read from the tail, even after many run lines', async () => {
  const log = await ShipLog.open(path('c'));
  for (let i = 0; i < 500; i++) log.recordRun(`c:s${i}`, { runId: String(i).padStart(32, '0'), artifactUri: `file:///artifacts/${i}` });
  await log.commit(1001, 654_321, true);
  assert.is(await shippedOffset(storeDir, 'local', 'c'), 654_321);
  assert.is(await shippedOffset(storeDir, 'local', 'never-shipped'), 0);
  // Run lines written after the last commit (a pass that stopped before committing): the whole log is read.
  appendFileSync(path('c'), Array.from({ length: 200 }, (_, i) => JSON.stringify({ run: `c:t${i}`, id: 'x', uri: 'y' })).join('\n') + '\n');
  assert.is(await shippedOffset(storeDir, 'local', 'c'), 654_321);
});

test('complete segments are listed per target', async () => {
  assert.equal([...(await completeSegments(storeDir, 'local'))], []);
  await markComplete(storeDir, 'local', 'a');
  await markComplete(storeDir, 'local', 'c');
  assert.equal([...(await completeSegments(storeDir, 'local'))].sort(), ['a', 'c']);
  assert.equal([...(await completeSegments(storeDir, 'mlflow-0123'))], []);
});

test.after(() => rmSync(storeDir, { recursive: true, force: true }));
test.run();
