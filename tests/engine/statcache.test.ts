/** The stat cache: a file's hash is reused while size, mtime and inode are unchanged, except for racily fresh files. */
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashBytes } from '../../engine/hash.ts';
import { dirHash, listFiles, openStatCache } from '../../engine/statcache.ts';

const dir = mkdtempSync(join(tmpdir(), 'tradepipe-statcache-'));
const old = new Date(Date.now() - 60_000);

/** Rewrites `path` with same-size content and its old times: only the cache can tell the difference. */
function sneakyEdit(path: string, text: string): void {
  const s = statSync(path);
  writeFileSync(path, text);
  utimesSync(path, s.atime, s.mtime);
}

test('an unchanged file (by size, mtime, inode) is not read again, also after save and reopen', async () => {
  const file = join(dir, 'a.txt');
  writeFileSync(file, 'one');
  utimesSync(file, old, old);
  const cacheFile = join(dir, 'cache.json');
  const cache = openStatCache(cacheFile);
  assert.equal(await cache.hashFile(file), { hash: hashBytes('one'), size: 3 });
  await cache.save();
  sneakyEdit(file, 'two');
  assert.is((await cache.hashFile(file)).hash, hashBytes('one'));
  assert.is((await openStatCache(cacheFile).hashFile(file)).hash, hashBytes('one'));
  writeFileSync(file, 'three');
  assert.is((await cache.hashFile(file)).hash, hashBytes('three'));
});

test('a file modified in the last two seconds is always read (racily clean)', async () => {
  const file = join(dir, 'fresh.txt');
  writeFileSync(file, 'one');
  const cache = openStatCache(join(dir, 'fresh.json'));
  assert.is((await cache.hashFile(file)).hash, hashBytes('one'));
  sneakyEdit(file, 'two');
  assert.is((await cache.hashFile(file)).hash, hashBytes('two'));
});

test('remember(immutable) trusts a store object even when fresh', async () => {
  const file = join(dir, 'object');
  writeFileSync(file, 'data');
  const cache = openStatCache(join(dir, 'objects.json'));
  await cache.remember(file, 'sha256:remembered', { immutable: true });
  assert.is((await cache.hashFile(file)).hash, 'sha256:remembered');
});

test('a directory hashes as its sorted listing of relative paths and file hashes', async () => {
  const d = join(dir, 'tree');
  mkdirSync(join(d, 'sub'), { recursive: true });
  writeFileSync(join(d, 'b.txt'), 'b');
  writeFileSync(join(d, 'sub', 'a.txt'), 'a');
  assert.equal(await listFiles(d), ['b.txt', 'sub/a.txt']);
  const hashed = await openStatCache(join(dir, 'tree.json')).hashPath(d);
  const entries = [
    { path: 'b.txt', hash: hashBytes('b'), size: 1 },
    { path: 'sub/a.txt', hash: hashBytes('a'), size: 1 },
  ];
  assert.equal(hashed, { kind: 'dir', hash: dirHash(entries), entries });
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
