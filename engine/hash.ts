/** Content hashing: sha256 (hardware-accelerated on x86 and arm64), written `sha256:<hex>`. */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import canonicalize from 'canonicalize';

export const HASH_PREFIX = 'sha256:';

export function hashBytes(data: Uint8Array | string): string {
  return HASH_PREFIX + createHash('sha256').update(data).digest('hex');
}

/** RFC 8785 canonical JSON, so equal values always hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('value cannot be serialised as JSON');
  return text;
}

export function hashJson(value: unknown): string {
  return hashBytes(canonicalJson(value));
}

const CHUNK = 4 * 1024 * 1024;

/**
 * From this size on, a file is hashed by the `openssl` command when there is one: the system
 * OpenSSL's SHA-NI code hashes ~1.5 GB/s per core here, Node's bundled build ~1.0, and a
 * process start is nothing next to hashing 32 MB. `openssl dgst` alternates 8 KB reads with
 * hashing in one thread, which holds it to ~80% of `openssl speed`; nothing at hand overlaps
 * better (a pipe feeding it costs it more than the file reads it replaces, Debian's sha256sum
 * has no SHA-NI, gpg reads the same way, the kernel's AF_ALG is not there in containers).
 * Without `openssl`, or if it fails, Node hashes the file.
 */
const EXTERNAL_FROM_BYTES = 32 * 1024 * 1024;
let opensslUsable = true;

export async function hashFile(path: string): Promise<string> {
  if (opensslUsable && (await stat(path)).size >= EXTERNAL_FROM_BYTES) {
    const hex = await opensslSha256(path);
    if (hex !== undefined) return HASH_PREFIX + hex;
  }
  return hashFileInProcess(path);
}

function opensslSha256(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('openssl', ['dgst', '-sha256', '-r', path], { encoding: 'utf8' }, (error, stdout) => {
      const hex = /^([0-9a-f]{64}) /.exec(stdout)?.[1];
      if (error || hex === undefined) {
        // No usable openssl here (absent, or an unexpected output): stop asking for this process.
        opensslUsable = false;
        resolve(undefined);
      } else resolve(hex);
    });
  });
}

/**
 * Streams a file through sha256 with two reusable buffers: the next chunk is read (on
 * libuv's thread pool) while this one is hashed, so the read time hides behind hashing.
 */
export async function hashFileInProcess(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let turn = 0;
    let pending = handle.read(buffers[0]!, 0, CHUNK, null);
    for (;;) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) break;
      turn ^= 1;
      pending = handle.read(buffers[turn]!, 0, CHUNK, null);
      hash.update(bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return HASH_PREFIX + hash.digest('hex');
}

export function hexOf(hash: string): string {
  if (!hash.startsWith(HASH_PREFIX)) throw new Error(`not a content hash: ${hash}`);
  return hash.slice(HASH_PREFIX.length);
}

export function shortHash(hash: string): string {
  return hexOf(hash).slice(0, 10);
}
