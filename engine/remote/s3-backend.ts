/**
 * An `s3://` remote through the maintained AWS SDK (`@aws-sdk/client-s3`), for AWS and
 * S3-compatible servers (SeaweedFS, MinIO, Ceph, R2: give `endpoint`). Credentials come
 * only from the SDK's default chain (environment, shared credentials file, profiles,
 * instance roles).
 *
 * Large blobs go up as multipart uploads streamed from the file part by part (never the
 * whole file in memory). An upload interrupted mid-way is resumed by the next attempt:
 * it finds the pending multipart upload for the key and sends only the parts missing.
 * S3 makes the blob visible only when the upload completes.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import PQueue from 'p-queue';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { RemoteBackend, RemoteEntry } from './backend.ts';
import type { RemoteLocation } from './config.ts';

/** Above this a blob is uploaded in parts. */
export const MULTIPART_THRESHOLD = 32 * 1024 * 1024;
export const PART_SIZE = 16 * 1024 * 1024;
/** Parts of one blob in flight at once. */
const PART_CONCURRENCY = 4;

// Node 20 is this project's runtime; the SDK's notice about its future Node 22 floor is noise in every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function s3Backend(location: Extract<RemoteLocation, { kind: 's3' }>, url: string): RemoteBackend {
  const client = new S3Client({
    ...(location.endpoint ? { endpoint: location.endpoint, forcePathStyle: true } : {}),
    region: location.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
  });
  const Bucket = location.bucket;
  const full = (key: string) => (location.prefix ? `${location.prefix}/${key}` : key);
  const strip = (key: string) => (location.prefix ? key.slice(location.prefix.length + 1) : key);

  const status = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

  const uploadParts = async (Key: string, file: string, size: number, signal?: AbortSignal) => {
    const pending = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: Key }), { abortSignal: signal });
    const resumable = (pending.Uploads ?? []).filter((u) => u.Key === Key && u.UploadId);
    let uploadId = resumable[0]?.UploadId;
    const done = new Map<number, CompletedPart>();
    if (uploadId) {
      // Parts of an earlier attempt with the right size are kept: the key names the content,
      // so whoever started this upload was sending these very bytes (readers verify anyway).
      let marker: string | undefined;
      do {
        const page = await client.send(new ListPartsCommand({ Bucket, Key, UploadId: uploadId, PartNumberMarker: marker }), { abortSignal: signal });
        for (const part of page.Parts ?? []) {
          const expected = Math.min(PART_SIZE, size - (part.PartNumber! - 1) * PART_SIZE);
          if (part.Size === expected) done.set(part.PartNumber!, { PartNumber: part.PartNumber, ETag: part.ETag });
        }
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
    } else {
      uploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket, Key }), { abortSignal: signal })).UploadId!;
    }
    const count = Math.ceil(size / PART_SIZE);
    const queue = new PQueue({ concurrency: PART_CONCURRENCY });
    for (let n = 1; n <= count; n++) {
      if (done.has(n)) continue;
      void queue.add(async () => {
        const start = (n - 1) * PART_SIZE;
        const end = Math.min(size, start + PART_SIZE);
        const Body = createReadStream(file, { start, end: end - 1 });
        const r = await client.send(new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber: n, Body, ContentLength: end - start }), {
          abortSignal: signal,
        });
        done.set(n, { PartNumber: n, ETag: r.ETag });
      });
    }
    await queue.onIdle();
    const Parts = [...done.values()].sort((a, b) => a.PartNumber! - b.PartNumber!);
    try {
      await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts } }), { abortSignal: signal });
    } catch (error) {
      // Another pusher of the same content completed this upload first: the object is there.
      if ((await client.send(new HeadObjectCommand({ Bucket, Key })).catch(() => undefined))?.ContentLength !== size) throw error;
    }
  };

  return {
    url,
    async stat(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket, Key: full(key) }));
        return { size: head.ContentLength ?? 0 };
      } catch (error) {
        if (status(error) === 404) return undefined;
        throw error;
      }
    },
    async read(key, signal) {
      try {
        const got = await client.send(new GetObjectCommand({ Bucket, Key: full(key) }), { abortSignal: signal });
        return got.Body as Readable;
      } catch (error) {
        if (status(error) === 404) return undefined;
        throw error;
      }
    },
    async upload(key, file, size, signal) {
      if (size > MULTIPART_THRESHOLD) return uploadParts(full(key), file, size, signal);
      await client.send(new PutObjectCommand({ Bucket, Key: full(key), Body: createReadStream(file), ContentLength: size }), { abortSignal: signal });
    },
    async create(key, body) {
      try {
        await client.send(new PutObjectCommand({ Bucket, Key: full(key), Body: body, IfNoneMatch: '*', ContentType: 'application/json' }));
        return true;
      } catch (error) {
        // 409: a concurrent conditional write to the same key is in progress; it wins.
        if (status(error) === 412 || status(error) === 409) return false;
        throw error;
      }
    },
    async *list(prefix): AsyncIterable<RemoteEntry> {
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: full(prefix), ContinuationToken: token }));
        for (const o of page.Contents ?? []) yield { key: strip(o.Key!), size: o.Size ?? 0, modified: o.LastModified ?? new Date(0) };
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: full(key) }));
    },
    async move(from, to) {
      const source = `${Bucket}/${full(from).split('/').map(encodeURIComponent).join('/')}`;
      await client.send(new CopyObjectCommand({ Bucket, Key: full(to), CopySource: source }));
      await client.send(new DeleteObjectCommand({ Bucket, Key: full(from) }));
    },
    async dropIncomplete(olderThan) {
      let dropped = 0;
      let keyMarker: string | undefined;
      let idMarker: string | undefined;
      do {
        const page = await client.send(
          new ListMultipartUploadsCommand({
            Bucket,
            Prefix: location.prefix ? `${location.prefix}/` : undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: idMarker,
          }),
        );
        for (const u of page.Uploads ?? []) {
          if (!u.Initiated || u.Initiated >= olderThan) continue;
          await client.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }));
          dropped++;
        }
        [keyMarker, idMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextUploadIdMarker] : [undefined, undefined];
      } while (keyMarker);
      return dropped;
    },
  };
}
