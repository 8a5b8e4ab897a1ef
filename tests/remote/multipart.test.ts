/**
 * A large object goes up in parts, and an interrupted multipart upload is resumed: the
 * next attempt sends only the parts the server lacks. Shown by planting part 1 with
 * other bytes of the right size: the completed object keeps it (so it was not sent
 * again), and a reader's hash check then rejects the object.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, openSync, writeSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { hashFile } from '../../engine/hash.ts';
import { openStore } from '../../engine/store.ts';
import { openStatCache } from '../../engine/statcache.ts';
import { projectPaths } from '../../engine/project.ts';
import { PART_SIZE } from '../../engine/remote/s3-backend.ts';
import { downloadObject, objectKey, RemoteObjectCorrupt } from '../../engine/remote/transfer.ts';
import { testRemote } from './support.ts';

test('s3: an interrupted multipart upload resumes with the missing parts only; readers verify the result', async () => {
  const remote = await testRemote('s3');
  if (!remote) return;
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-multipart-'));
  try {
    const file = join(dir, 'big.bin');
    const size = 2 * PART_SIZE + 5 * 1024 * 1024;
    const fd = openSync(file, 'w');
    writeSync(fd, randomFillSync(Buffer.alloc(size)));
    closeSync(fd);
    const hash = await hashFile(file);

    const { endpoint, bucket: Bucket, prefix } = remote.s3!;
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
    const Key = `${prefix}/${objectKey(hash)}`;
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const planted = Buffer.alloc(PART_SIZE, 7);
    await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: planted }));

    await remote.backend.upload(objectKey(hash), file, size);
    const pending = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: Key }));
    assert.equal(pending.Uploads ?? [], [], 'the resumed upload completed');
    assert.equal(await remote.backend.stat(objectKey(hash)), { size });
    const chunks: Buffer[] = [];
    for await (const c of (await remote.backend.read(objectKey(hash)))!) chunks.push(c as Buffer);
    const stored = Buffer.concat(chunks);
    assert.ok(stored.subarray(0, PART_SIZE).equals(planted), 'part 1 was kept, not sent again');
    assert.ok(stored.subarray(PART_SIZE).equals(readFileSync(file).subarray(PART_SIZE)), 'parts 2 and 3 were sent');

    const root = join(dir, 'project');
    const paths = projectPaths(root);
    const store = openStore(paths, openStatCache(paths.statCache));
    try {
      await downloadObject(store, remote.backend, hash, false);
      assert.unreachable('a mismatching download must be refused');
    } catch (error) {
      assert.instance(error, RemoteObjectCorrupt);
    }
    assert.not.ok(store.has(hash), 'nothing unverified enters the store');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    remote.cleanup();
  }
});

test.run();
