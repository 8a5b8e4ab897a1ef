/**
 * The record journal (engine/group-commit.ts): writes in one turn share a batch, a flush
 * leaves the files and no journal, and a dead writer's journal is replayed when the project
 * is next opened, restoring files a power loss emptied or lost, while a torn last line
 * (a batch that never became durable) is ignored.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGroupCommit, readFrames } from '../../engine/group-commit.ts';
import { openRecords, type RunRecord } from '../../engine/records.ts';
import { projectPaths } from '../../engine/project.ts';

const journals = (store: string) => readdirSync(store).filter((f) => f.startsWith('journal-'));

function line(frame: { files: [string, string][]; objects: [string, string][] }): string {
  const json = JSON.stringify(frame);
  return `${createHash('sha256').update(json).digest('hex')}${json}\n`;
}

/** A pid no process has now: one that just exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

test('writes commit in batches; flush leaves the files and removes the journal', async () => {
  const store = mkdtempSync(join(tmpdir(), 'tradepipe-commit-'));
  try {
    const commit = openGroupCommit(store);
    const writes = [commit.write(join(store, 'a', 'x.json'), '1'), commit.write(join(store, 'a', 'x.json'), '2'), commit.write(join(store, 'b.json'), '3')];
    await Promise.all(writes);
    assert.is(readFileSync(join(store, 'a', 'x.json'), 'utf8'), '2', 'the later write of a path in a batch wins');
    assert.equal(journals(store).length, 1, 'the journal holds the batch until the checkpoint');
    const frames = readFrames(readFileSync(join(store, journals(store)[0]!), 'utf8'));
    assert.equal(frames.map((f) => f.files), [[['a/x.json', '2'], ['b.json', '3']]], 'one batch, one line');
    await commit.flush();
    assert.equal(journals(store), []);
    assert.is(readFileSync(join(store, 'b.json'), 'utf8'), '3');
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});

test('a record reads back in this process before it is committed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tradepipe-commit-'));
  try {
    const records = openRecords(projectPaths(root));
    const record = { key: 'sha256:' + 'ab'.repeat(32), stepId: 'a', pipeline: 'p.yaml', outputs: {}, files: {}, runId: 'r1', finishedAt: '', durationMs: 0 } as unknown as RunRecord;
    const durable = records.write(record);
    assert.equal(records.read(record.key), record);
    assert.is(openRecords(projectPaths(root)).read(record.key), undefined, 'another reader sees it only once committed');
    await durable;
    assert.equal(openRecords(projectPaths(root)).read(record.key), record);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a dead writer's journal is replayed on open: lost and emptied files come back, a torn last line is ignored", () => {
  const store = mkdtempSync(join(tmpdir(), 'tradepipe-commit-'));
  try {
    mkdirSync(join(store, 'records'), { recursive: true });
    const object = Buffer.from('42');
    const objectRel = join('objects', 'ab', 'cdef');
    const text =
      line({ files: [['records/one.json', '{"n":1}']], objects: [[objectRel, object.toString('base64')]] }) +
      line({ files: [['records/two.json', '{"n":2}'], ['records/one.json', '{"n":11}']], objects: [] }) +
      line({ files: [['records/torn.json', '{"n":3}']], objects: [] }).slice(0, 90);
    const journal = join(store, `journal-${encodeURIComponent(hostname())}-${deadPid()}.log`);
    writeFileSync(journal, text);
    // What a power loss can leave: one file never reached the disk, another is empty.
    writeFileSync(join(store, 'records', 'two.json'), '');
    const live = join(store, `journal-${encodeURIComponent(hostname())}-${process.pid}.log`);
    writeFileSync(live, line({ files: [['records/live.json', '{}']], objects: [] }));

    openGroupCommit(store);
    assert.is(readFileSync(join(store, 'records', 'one.json'), 'utf8'), '{"n":11}', 'frames replay in order');
    assert.is(readFileSync(join(store, 'records', 'two.json'), 'utf8'), '{"n":2}');
    assert.ok(readFileSync(join(store, objectRel)).equals(object), 'a small object held in the journal is restored');
    assert.not.ok(existsSync(join(store, 'records', 'torn.json')), 'the torn line was never durable: nothing of it is written');
    assert.not.ok(existsSync(journal), 'the replayed journal is removed');
    assert.ok(existsSync(live), "a live writer's journal is left alone");
    assert.not.ok(existsSync(join(store, 'records', 'live.json')));
  } finally {
    execFileSync('chmod', ['-R', 'u+w', store]);
    rmSync(store, { recursive: true, force: true });
  }
});

test.run();
