/**
 * The store's memory within a process: the small objects it wrote (read back without the disk, forgotten when one
 * is quarantined), and objects stat'ed ahead of planning.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, CorruptObject } from '../../engine/store.ts';
import { openStatCache } from '../../engine/statcache.ts';
import { projectPaths } from '../../engine/project.ts';

const root = mkdtempSync(join(tmpdir(), 'tradepipe-store-memory-'));
const paths = projectPaths(root);

test('an object this process wrote reads back as a copy: changing it changes nothing stored', async () => {
  const store = openStore(paths, openStatCache(paths.statCache));
  const hash = await store.putBytes('{"n":1}');
  const first = await store.readBytes(hash);
  assert.is(Buffer.from(first).toString(), '{"n":1}');
  first[0] = 0;
  assert.is(Buffer.from(await store.readBytes(hash)).toString(), '{"n":1}');
});

test('an object quarantined as corrupt is written again by the next put of its bytes', async () => {
  const store = openStore(paths, openStatCache(paths.statCache));
  const hash = await store.putBytes('{"n":2}');
  const file = store.objectPath(hash);
  chmodSync(file, 0o644);
  writeFileSync(file, '{"n":"tampered"}');
  await store.verify({ kind: 'json', hash, size: 7 }).then(
    () => assert.unreachable('a tampered object verifies'),
    (error: unknown) => assert.instance(error, CorruptObject),
  );
  assert.is(store.has(hash), false, 'moved to corrupt/');
  assert.is(await store.putBytes('{"n":2}'), hash);
  assert.is(readFileSync(file, 'utf8'), '{"n":2}');
});

test('statAhead returns the objects present, those this process wrote included', async () => {
  const written = await openStore(paths, openStatCache(paths.statCache)).putBytes('{"n":3}');
  // Another process's store: it remembers nothing the first one wrote.
  const store = openStore(paths, openStatCache(paths.statCache));
  const own = await store.putBytes('{"n":4}');
  const absent = `sha256:${'0'.repeat(64)}`;
  assert.equal([...store.statAhead([written, absent, own, written])], [written, own]);
  await store.verify({ kind: 'json', hash: written, size: 7 });
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
