/**
 * Transfer progress for push and pull: a redrawn line on a terminal (objects done of
 * known, bytes moved, rate), nothing on a pipe, where the final summary says it all.
 */
import { formatBytes } from '../format.ts';

export interface TransferProgress {
  /** More objects became known (a dir listing names its files). */
  expect(objects: number): void;
  done(): void;
  bytes(n: number): void;
  /** Seconds since the start, and the bytes moved. */
  close(): { seconds: number; bytes: number };
}

export function transferProgress(stream: NodeJS.WriteStream, label: string): TransferProgress {
  const tty = stream.isTTY === true;
  const t0 = performance.now();
  let expected = 0;
  let finished = 0;
  let moved = 0;
  const draw = () => {
    const seconds = (performance.now() - t0) / 1000;
    const rate = seconds > 0 ? moved / seconds : 0;
    stream.write(`\r\x1b[K${label}: ${finished}/${expected} objects · ${formatBytes(moved)} · ${formatBytes(rate)}/s`);
  };
  const timer = tty ? setInterval(draw, 100) : undefined;
  timer?.unref();
  return {
    expect: (n) => void (expected += n),
    done: () => void finished++,
    bytes: (n) => void (moved += n),
    close() {
      if (timer) {
        clearInterval(timer);
        stream.write('\r\x1b[K');
      }
      return { seconds: (performance.now() - t0) / 1000, bytes: moved };
    },
  };
}
