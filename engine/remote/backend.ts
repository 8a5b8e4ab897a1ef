/**
 * What the shared cache needs from a storage service, and nothing more: keyed blobs
 * that appear whole or not at all, a conditional create, listing and deletion.
 * Keys are relative to the remote's root (`objects/ab/cdef…`, `records/ab/cdef….json`).
 */
import type { Readable } from 'node:stream';
import type { RemoteConfig } from './config.ts';

export interface RemoteEntry {
  key: string;
  size: number;
  modified: Date;
}

export interface RemoteBackend {
  /** For messages: the remote's URL. */
  readonly url: string;
  /** Size of a blob, or undefined when there is none (HEAD). */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** A stream of a blob's bytes, or undefined when there is none. */
  read(key: string, signal?: AbortSignal): Promise<Readable | undefined>;
  /** Streams a local file up; readers see the whole blob or nothing (multipart where large). */
  upload(key: string, file: string, size: number, signal?: AbortSignal): Promise<void>;
  /** Creates a small blob unless one exists (If-None-Match: *). False when it existed. */
  create(key: string, body: string): Promise<boolean>;
  list(prefix: string): AsyncIterable<RemoteEntry>;
  remove(key: string): Promise<void>;
  /** Moves a blob aside (server-side copy, then delete). */
  move(from: string, to: string): Promise<void>;
  /** Removes what interrupted uploads left behind (parts, temp files) before `olderThan`; returns how many. */
  dropIncomplete(olderThan: Date): Promise<number>;
}

export async function openBackend(config: RemoteConfig): Promise<RemoteBackend> {
  const { location } = config;
  if (location.kind === 'file') {
    const { fileBackend } = await import('./file-backend.ts');
    return fileBackend(location.dir, config.url);
  }
  const { s3Backend } = await import('./s3-backend.ts');
  return s3Backend(location, config.url);
}

export async function readText(backend: RemoteBackend, key: string): Promise<string | undefined> {
  const stream = await backend.read(key);
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
