/**
 * Command output that reaches a pipe whole. On POSIX a pipe is non-blocking: `writeSync(1)`
 * returns short or fails with EAGAIN once the reader falls behind, and `process.exit()` drops
 * whatever the stream still queues. So output goes through the stream, waiting when it says to
 * (backpressure), and a command that must exit explicitly first waits for the queue to empty.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Writes to stdout; resolves once the stream can take more. */
export function print(chunk: string | Uint8Array): Promise<void> {
  return write(process.stdout, chunk);
}

async function write(stream: Writable, chunk: string | Uint8Array): Promise<void> {
  if (stream.write(chunk)) return;
  await Promise.race([once(stream, 'drain'), once(stream, 'close')]);
}

/** Resolves once everything queued on stdout and stderr has been handed to the OS. */
export async function flushed(): Promise<void> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
}
