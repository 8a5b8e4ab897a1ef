/**
 * A full disk (ENOSPC; EDQUOT for a quota) during an object, record or tracking write,
 * and a read-only store: the step fails with a message naming the path and the free
 * space, no temp file is left, earlier outputs stay intact, and the run after space is
 * freed completes. On a real small tmpfs where the machine allows mounting (CI runs as
 * root), else through the fault-injection layer (support/fault-fs.mjs); see support/small-disk.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { diskMode, smallDisk, type SmallDisk } from './support/small-disk.ts';
import { hashFile } from '../../engine/hash.ts';
import { readSegment } from '../../engine/tracking/outbox.ts';

const { mode, why } = diskMode();
console.log(`disk-full tests: ${mode} (${why})`);

const FREE = /\(ENOSPC; \d+(\.\d)? [KMGT]?B free on its file system\); free some space and run again \[E_NO_SPACE\]/;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Nothing torn: no temp files in the store, and every object's bytes hash to its name. */
async function assertStoreClean(disk: SmallDisk): Promise<void> {
  const store = join(disk.dir, '.tradepipe');
  assert.equal(filesUnder(join(store, 'tmp')), [], 'no temp files left in .tradepipe/tmp');
  assert.equal(
    filesUnder(store).filter((f) => f.endsWith('.tmp') || f.includes('tradepipe-tmp')),
    [],
    'no temp files left anywhere',
  );
  for (const f of filesUnder(join(store, 'objects'))) assert.is(await hashFile(f), `sha256:${f.split('/').slice(-2).join('')}`);
}

test('object write: the step names the out, the store and the free space; earlier outputs intact; the rerun completes', async () => {
  const disk = smallDisk(mode, {});
  disk.write(
    'p.yaml',
    `steps:
  prep: { uses: exec, with: { cmd: "echo prepared > prep.txt", outs: [prep.txt] } }
  big: { uses: exec, needs: [prep], with: { cmd: "head -c 40000 /dev/urandom > big.bin; ${disk.fill}", outs: [big.bin] } }
`,
  );
  try {
    const r = await disk.run(['run', 'p.yaml'], { under: '.tradepipe/tmp' });
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /✓ prep: executed/);
    assert.match(r.stderr, /✗ big: failed/);
    assert.match(r.stderr, /cannot write big\.bin into the store \(\.tradepipe\/objects\): no space left on device /);
    assert.match(r.stderr, FREE);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    await assertStoreClean(disk);
    assert.is(readFileSync(join(disk.dir, 'prep.txt'), 'utf8'), 'prepared\n');

    disk.free();
    const again = await disk.runJson('p.yaml');
    assert.is(again.code, 0, again.stderr);
    assert.equal(again.statuses, { prep: 'cached', big: 'executed' });
    assert.is(statSync(join(disk.dir, 'big.bin')).size, 40000);
    await assertStoreClean(disk);
  } finally {
    disk.cleanup();
  }
});

test('record write: the step fails naming the record file and the free space; the rerun completes', async () => {
  const disk = smallDisk(mode, {});
  // An empty out fits a full disk (no data block), so the object goes in and the record is what fails.
  disk.write('p.yaml', `steps:\n  a: { uses: exec, with: { cmd: "${disk.fill}; : > a.out", outs: [a.out] } }\n`);
  try {
    const r = await disk.run(['run', 'p.yaml'], { under: '.tradepipe/records' });
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /✗ a: failed/);
    assert.match(r.stderr, /cannot write \.tradepipe\/records\/[0-9a-f]{2}\/[0-9a-f]{62}\.json: no space left on device /);
    assert.match(r.stderr, FREE);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    await assertStoreClean(disk);
    assert.equal(filesUnder(join(disk.dir, '.tradepipe', 'records')), [], 'no torn record');

    disk.free();
    const again = await disk.runJson('p.yaml');
    assert.is(again.code, 0, again.stderr);
    assert.equal(again.statuses, { a: 'executed' });
    assert.equal((await disk.runJson('p.yaml')).statuses, { a: 'cached' });
  } finally {
    disk.cleanup();
  }
});

test('tracking write: a metric that no longer fits fails the step with the outbox path; the segment stays well-formed', async () => {
  const disk = smallDisk(mode, {});
  const plugin = join(import.meta.dirname, 'support', 'fill-then-track.ts');
  disk.write(
    'p.yaml',
    `plugins: { fill-then-track: ${JSON.stringify(plugin)} }\nsteps:\n  train: { uses: fill-then-track, with: { fill: ${JSON.stringify(disk.fill)}, metrics: 3000 } }\n`,
  );
  try {
    const r = await disk.run(['run', 'p.yaml'], { under: '.tradepipe/tracking/outbox' });
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /✗ train: failed/);
    assert.match(r.stderr, /cannot write \.tradepipe\/tracking\/outbox\/[^ ]+\.jsonl: no space left on device /);
    assert.match(r.stderr, FREE);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    for (const segment of filesUnder(join(disk.dir, '.tradepipe', 'tracking', 'outbox'))) {
      assert.is(readSegment(segment).validLength, statSync(segment).size, `${segment} ends on a whole record`);
    }
    await assertStoreClean(disk);

    disk.free();
    const again = await disk.runJson('p.yaml');
    assert.is(again.code, 0, again.stderr);
    assert.equal(again.statuses, { train: 'executed' });
  } finally {
    disk.cleanup();
  }
});

test('a disk quota (EDQUOT) is reported like a full disk (fault injection: tmpfs has no quota here)', async () => {
  const disk = smallDisk('fault-injection', { 'p.yaml': 'steps:\n  a: { uses: exec, with: { cmd: "echo a > a.txt; touch filler", outs: [a.txt] } }\n' });
  try {
    const r = await disk.run(['run', 'p.yaml'], { under: '.tradepipe/tmp', code: 'EDQUOT' });
    assert.is(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /cannot write a\.txt into the store \(\.tradepipe\/objects\): disk quota exceeded \(EDQUOT; \d+(\.\d)? [KMGT]?B free on its file system\); free some space and run again \[E_NO_SPACE\]/,
    );
    await assertStoreClean(disk);
    disk.free();
    assert.equal((await disk.runJson('p.yaml')).statuses, { a: 'executed' });
  } finally {
    disk.cleanup();
  }
});

test('a read-only .tradepipe, or store objects folder, gives one clear error and no stack trace', async () => {
  const disk = smallDisk(mode, { 'p.yaml': 'steps:\n  a: { uses: exec, with: { cmd: "echo ${vars.v} > a.txt", outs: [a.txt] } }\nvars: { v: 1 }\n' });
  const readOnly = (rel: string) => {
    const at = join(disk.dir, rel);
    execFileSync('mount', ['--bind', at, at]);
    execFileSync('mount', ['-o', 'remount,bind,ro', at]);
    return () => execFileSync('umount', [at]);
  };
  try {
    assert.is((await disk.run(['run', 'p.yaml'])).code, 0);
    if (mode === 'tmpfs') {
      const undo = readOnly('.tradepipe');
      try {
        const r = await disk.run(['run', 'p.yaml']);
        assert.is(r.code, 1);
        assert.is(r.stderr.trim(), 'error: cannot write .tradepipe/lock: the file system is read-only (EROFS) [E_READ_ONLY]');
      } finally {
        undo();
      }
    }
    // Fault injection: the flag file makes the store's writes fail with EROFS.
    const undo = mode === 'tmpfs' ? readOnly('.tradepipe/objects') : (execFileSync('touch', [join(disk.dir, 'filler')]), () => undefined);
    try {
      const r = await disk.run(['run', 'p.yaml', '--set', 'a.cmd=echo 2 > a.txt'], { under: '.tradepipe/tmp', code: 'EROFS' });
      assert.is(r.code, 1, r.stderr);
      assert.match(r.stderr, /✗ a: failed/);
      assert.match(
        r.stderr,
        /cannot write \.tradepipe\/objects\/[0-9a-f]{2}\/[0-9a-f]{62}: the file system is read-only \(EROFS\) \[E_READ_ONLY\]|cannot write a\.txt into the store \(\.tradepipe\/objects\): the file system is read-only \(EROFS\) \[E_READ_ONLY\]/,
      );
      assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      undo();
    }
    await assertStoreClean(disk);
    disk.free();
    assert.equal((await disk.runJson('p.yaml')).statuses, { a: 'cached' });
  } finally {
    disk.cleanup();
  }
});

test.run();
