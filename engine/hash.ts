/** Content hashing: sha256 (hardware-accelerated on x86 and arm64), written `sha256:<hex>`. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
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

const CHUNK = 8 * 1024 * 1024;

/** Streams a file through sha256 with one reusable buffer (no per-chunk allocation). */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
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
