/** File hashing streams through reused read buffers; the digest is the file's plain sha256 whatever its size. */
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashFile } from '../../engine/hash.ts';

const dir = mkdtempSync(join(tmpdir(), 'tradepipe-hash-'));

test('a file of several read chunks (and a partial last one) hashes to the sha256 of its bytes', async () => {
  // 6 MB chunks: two full ones, a short one.
  for (const size of [0, 1, 6 * 1024 * 1024, 13 * 1024 * 1024 + 7]) {
    const bytes = randomFillSync(Buffer.alloc(size));
    const file = join(dir, `f${size}`);
    writeFileSync(file, bytes);
    assert.is(await hashFile(file), `sha256:${createHash('sha256').update(bytes).digest('hex')}`, `${size} bytes`);
  }
});

test('a missing file is an error, not a hash', async () => {
  const error = await hashFile(join(dir, 'absent')).then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e,
  );
  assert.is(error?.code, 'ENOENT');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
