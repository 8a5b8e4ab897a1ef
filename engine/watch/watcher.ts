/**
 * A debounced file watcher (chokidar). Bursts of events, such as an editor's
 * save-by-rename or a `git checkout` of many files, arrive as one list of paths once
 * the burst has been quiet for `debounceMs`.
 */
import { watch, type FSWatcher } from 'chokidar';
import { watchFilter, watchRoots, type WatchTargets } from './targets.ts';

export interface FileWatcher {
  /** Watches new targets; the old ones are dropped once the new ones are being watched. */
  retarget(targets: WatchTargets): Promise<void>;
  close(): Promise<void>;
}

export interface WatcherOptions {
  debounceMs: number;
  onBurst(paths: string[]): void;
  onError(error: Error): void;
}

/** A write is reported once the file's size has held still this long (large files are written in many chunks). */
const WRITE_SETTLE = { stabilityThreshold: 50, pollInterval: 10 };

export async function watchFiles(targets: WatchTargets, opts: WatcherOptions): Promise<FileWatcher> {
  const burst = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const paths = [...burst];
    burst.clear();
    if (paths.length > 0) opts.onBurst(paths);
  };
  const onEvent = (_event: string, path: string) => {
    burst.add(path);
    clearTimeout(timer);
    timer = setTimeout(flush, opts.debounceMs);
  };

  const start = async (t: WatchTargets): Promise<FSWatcher> => {
    const keep = watchFilter(t);
    const w = watch(watchRoots(t), { ignoreInitial: true, ignored: (path) => !keep(path), awaitWriteFinish: WRITE_SETTLE });
    w.on('all', onEvent);
    w.on('error', (error) => opts.onError(error as Error));
    await new Promise<void>((resolve) => w.once('ready', resolve));
    return w;
  };

  let current = await start(targets);
  return {
    async retarget(t) {
      const next = await start(t);
      const old = current;
      current = next;
      await old.close();
    },
    async close() {
      clearTimeout(timer);
      await current.close();
    },
  };
}
