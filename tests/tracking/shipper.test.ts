/** Shipping outbox segments to the embedded store: order, batching, resends, refusals. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { localBackend, localStoreDir } from '../../engine/tracking/local-backend.ts';
import { TAG, type RunView } from '../../engine/tracking/backend.ts';
import { shipSegment } from '../../engine/tracking/shipper.ts';
import { MlflowClient } from '../../engine/tracking/client.ts';
import { mlflowBackend } from '../../engine/tracking/mlflow-backend.ts';
import { readShipState } from '../../engine/tracking/ship-state.ts';
import { SegmentWriter, segmentPath } from '../../engine/tracking/outbox.ts';
import type { RecordBody } from '../../engine/tracking/outbox-records.ts';
import { tempProject } from './support.ts';
import { freePort } from './mlflow-server.ts';

const project = tempProject();
const ship = (segment: string, backend = localBackend(project.storeDir)) =>
  shipSegment(segment, { storeDir: project.storeDir, backend, store: project.store, deadline: Date.now() + 30_000 });

function segment(id: string, records: RecordBody[]): void {
  const w = new SegmentWriter(segmentPath(project.storeDir, id));
  w.append(records);
  w.close();
}

const run = (id: string, extra: Partial<Extract<RecordBody, { op: 'run' }>> = {}): RecordBody => ({
  op: 'run',
  run: id,
  experiment: 'ship',
  name: id.split(':')[1] ?? id,
  start: 1000,
  tags: { [TAG.runKind]: id.includes(':') ? 'step' : 'pipeline' },
  ...(id.includes(':') ? { parent: id.split(':')[0] } : {}),
  ...extra,
});
const end = (id: string, at = 2000): RecordBody => ({ op: 'end', run: id, status: 'FINISHED', end: at });

async function byLocal(id: string): Promise<RunView[]> {
  return localBackend(project.storeDir).searchRuns({ tags: { [TAG.localRunId]: id } });
}

/** The local store's logs of the (only) pipeline run so far, as [op, local id] pairs: its own events (head), its step runs' (body). */
function groupEvents(): { head: [string, string][]; body: [string, string][] } {
  const dir = join(localStoreDir(project.storeDir), 'groups');
  const ids = new Map<string, string>();
  const events = (file: string): [string, string][] =>
    readFileSync(join(dir, file), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const e = JSON.parse(line) as { op: string; run: string; tags?: Record<string, string> };
        if (e.op === 'create') ids.set(e.run, e.tags![TAG.localRunId]!);
        return [e.op, ids.get(e.run) ?? e.run];
      });
  const files = readdirSync(dir);
  assert.is(files.length, 2);
  const head = files.find((f) => f.endsWith('.head.jsonl'))!;
  return { head: events(head), body: events(files.find((f) => f !== head)!) };
}

test('runs are created parent first, a cached step after its producer, and the pipeline run ends last', async () => {
  segment('p1', [
    run('p1'),
    run('p1:train'),
    { op: 'params', run: 'p1:train', params: { lr: '0.1' } },
    { op: 'metric', run: 'p1:train', key: 'loss', value: 0.5, step: 0, t: 1 },
    run('p1:again', { producedBy: 'p1:train', tags: { [TAG.runKind]: 'cached' } }),
    end('p1:again'),
    { op: 'metric', run: 'p1:train', key: 'loss', value: 0.25, step: 1, t: 2 },
    { op: 'tags', run: 'p1:train', tags: { [TAG.durationMs]: '5' } },
    end('p1:train'),
    end('p1', 3000),
  ]);
  const result = await ship('p1');
  assert.equal([result.done, result.shipped, result.pending, result.rejected], [true, 10, 0, []]);
  // A run's records in a chunk are one task, in order; its data records one log-batch (params and tags in one event).
  assert.equal(groupEvents(), {
    head: [
      ['create', 'p1'],
      ['update', 'p1'],
    ],
    body: [
      ['create', 'p1:train'],
      ['log', 'p1:train'],
      ['update', 'p1:train'],
      ['create', 'p1:again'],
      ['update', 'p1:again'],
    ],
  });
  const [train] = await byLocal('p1:train');
  const [again] = await byLocal('p1:again');
  assert.is(again!.tags[TAG.producedBy], train!.runId);
  assert.equal(train!.params, { lr: '0.1' });
  assert.equal((await localBackend(project.storeDir).metricHistory(train!.runId, 'loss')).map((p) => p.value), [0.5, 0.25]);
  assert.is((await byLocal('p1'))[0]!.status, 'FINISHED');
  const state = await readShipState(project.storeDir, 'local', 'p1');
  assert.equal([state.shippedSeq, state.closed, Object.keys(state.runs).sort()], [10, true, ['p1', 'p1:again', 'p1:train']]);
});

test('a cached step whose producer was never tracked keeps its local lineage only', async () => {
  segment('p2', [run('p2'), run('p2:features', { producedBy: 'untracked-run:features' }), end('p2:features'), end('p2')]);
  assert.is((await ship('p2')).done, true);
  const [features] = await byLocal('p2:features');
  assert.is(features!.tags[TAG.producedBy], undefined);
});

test('a cached step is one record, run and end: one event in the local store, FINISHED at its end', async () => {
  segment('p9', [run('p9'), run('p9:c', { tags: { [TAG.runKind]: 'cached' }, ended: { status: 'FINISHED', end: 1500 } }), end('p9')]);
  assert.equal((await ship('p9')).shipped, 3);
  const [cached] = await byLocal('p9:c');
  assert.equal([cached!.status, cached!.startTime, cached!.endTime], ['FINISHED', 1000, 1500]);
  const dir = join(localStoreDir(project.storeDir), 'groups');
  const events = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n')).filter((line) => line.includes(cached!.runId));
  assert.equal(events.map((line) => (JSON.parse(line) as { op: string }).op), ['create']);
});

test('a wiped local store gets the whole segment again, once', async () => {
  segment('p3', [run('p3'), run('p3:a'), { op: 'metric', run: 'p3:a', key: 'm', value: 1, step: 0, t: 5 }]);
  const backend = localBackend(project.storeDir);
  assert.is((await ship('p3', backend)).done, true);
  rmSync(localStoreDir(project.storeDir), { recursive: true });
  const w = new SegmentWriter(segmentPath(project.storeDir, 'p3'));
  w.append([end('p3:a'), end('p3')]);
  w.close();
  // The same backend object (a long-lived process) and a fresh one both notice.
  const result = await ship('p3', backend);
  assert.equal([result.done, result.rejected], [true, []]);
  const [a] = await byLocal('p3:a');
  assert.equal([(await byLocal('p3')).length, (await byLocal('p3:a')).length, a!.status], [1, 1, 'FINISHED']);
  assert.equal((await localBackend(project.storeDir).metricHistory(a!.runId, 'm')).map((p) => p.value), [1]);
});

test('records the target refuses for good are reported and skipped; the rest still ships', async () => {
  segment('p4', [
    run('p4'),
    run('p4:s'),
    { op: 'artifact', run: 'p4:s', path: 'model', kind: 'file', hash: 'sha256:' + '0'.repeat(64), bytes: 3 },
    { op: 'params', run: 'p4:orphan', params: { x: '1' } },
    end('p4:s'),
    end('p4'),
  ]);
  const result = await ship('p4');
  assert.equal([result.done, result.shipped, result.pending], [true, 4, 0]);
  assert.equal(result.rejected, [
    `seq 3-3: artifact model (sha256:${'0'.repeat(64)}) is missing from the project's store`,
    "seq 4-4: outbox record for run p4:orphan comes before that run's start record",
  ]);
  assert.is((await byLocal('p4:s'))[0]!.status, 'FINISHED');
  assert.equal(
    (await readShipState(project.storeDir, 'local', 'p4')).rejected.map((r) => [r.fromSeq, r.toSeq]),
    [
      [3, 3],
      [4, 4],
    ],
  );
  // Shipping again sends nothing and reports nothing new.
  assert.equal(await ship('p4'), { done: true, shipped: 0, pending: 0, rejected: [] });
});

test('a segment larger than one chunk ships in several commits', async () => {
  const records: RecordBody[] = [run('p5')];
  for (let i = 0; i < 2500; i++) records.push(run(`p5:s${i}`), end(`p5:s${i}`));
  records.push(end('p5'));
  segment('p5', records);
  const result = await ship('p5');
  assert.equal([result.done, result.shipped], [true, 5002]);
  const lines = readFileSync(join(project.storeDir, 'tracking', 'shipped', 'local', 'p5.jsonl'), 'utf8').trim().split('\n');
  const commits = lines.filter((l) => l.startsWith('{"seq"')).map((l) => JSON.parse(l) as { seq: number; closed?: true });
  assert.equal(commits.map((c) => [c.seq, c.closed ?? false]), [[2000, false], [4000, false], [5002, true]]);
  assert.is((await localBackend(project.storeDir).searchRuns({ tags: { [TAG.parentRunId]: (await byLocal('p5'))[0]!.runId } })).length, 2500);
});

test('a pass that runs out of time while the target does not answer says why, wherever the deadline falls', async () => {
  segment('p6', [run('p6'), end('p6')]);
  // A port nothing listens on any more: every request is refused at once.
  const port = await freePort();
  const backend = mlflowBackend(new MlflowClient({ uri: `http://127.0.0.1:${port}`, retries: 0 }));
  for (const ms of [150, 400, 900]) {
    const result = await shipSegment('p6', { storeDir: project.storeDir, backend, store: project.store, deadline: Date.now() + ms, backoffMs: 100 });
    assert.equal([result.done, result.shipped, result.pending], [false, 0, 2]);
    assert.match(result.error ?? '(none)', new RegExp(`^MLflow GET /api/2\\.0/mlflow/experiments/get-by-name: no answer from http://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED`));
  }
});

test.after(() => project.cleanup());
test.run();
