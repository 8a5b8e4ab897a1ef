/** The store's memory of the small objects a process wrote: read back without the disk, and forgotten when one is quarantined. */
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

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
