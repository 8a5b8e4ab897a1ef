/**
 * `tradepipe schedule`: the long-running process around the scheduler. It holds the
 * project's scheduler lock (one scheduler per project, so no slot fires from two),
 * reloads pipeline files as they change (an invalid edit keeps the previous schedule),
 * serves `/metrics` and `/healthz`, and stops gracefully on SIGTERM or Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { InvalidInput } from '../errors.ts';
import { readScheduledFile, type ScheduledFile } from './scheduled-file.ts';
import { acquireLock } from '../lock.ts';
import { projectPaths, displayPath } from '../project.ts';
import { watchFiles, type FileWatcher } from '../watch/watcher.ts';
import { sameTargets, type WatchTargets } from '../watch/targets.ts';
import { createCronScheduler, type CronScheduler } from './cron-scheduler.ts';
import { registerScheduleMetrics } from './metrics.ts';
import { projectMetrics } from '../metrics/project.ts';
import type { MetricsSource } from '../metrics/registry.ts';
import { openRecords } from '../records.ts';
import { scheduleDir } from './state.ts';
import type { ScheduleFiles } from './files.ts';

export interface DaemonOptions {
  files: ScheduleFiles;
  /** How to start `tradepipe` for each run. */
  command: readonly string[];
  graceMs: number;
  metrics?: { port: number; host: string };
  env: NodeJS.ProcessEnv;
  /** An event line. */
  log(line: string): void;
  /** A file that failed to load: its positioned diagnostics. */
  invalid(error: InvalidInput): void;
  debounceMs?: number;
}

export interface Daemon {
  /** Resolves once stopped: `graceful` after the first signal and the grace period, `aborted` at a second signal. */
  readonly stopped: Promise<'graceful' | 'aborted'>;
  /** First call: graceful stop; second: cancel runs and resolve `stopped` at once. */
  signal(): void;
}

/** Reads every file; any invalid one is returned with its error (startup refuses to run with it). */
function readAll(paths: readonly string[]): { loaded: ScheduledFile[]; errors: InvalidInput[] } {
  const loaded: ScheduledFile[] = [];
  const errors: InvalidInput[] = [];
  for (const path of paths) {
    try {
      loaded.push(readScheduledFile(path));
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      errors.push(error);
    }
  }
  return { loaded, errors };
}

export const NO_SCHEDULE = 'no `schedule:` in this pipeline; add one, e.g. `schedule: { cron: "0 18 * * 1-5", timezone: America/New_York }`';

export class StartupInvalid extends Error {
  constructor(readonly errors: InvalidInput[]) {
    super('invalid pipeline files');
  }
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { root } = opts.files;
  const named = opts.files.folder === undefined;
  const initial = readAll(opts.files.list());
  if (initial.errors.length > 0) throw new StartupInvalid(initial.errors);
  const unscheduled = named ? initial.loaded.filter((f) => !f.schedule) : [];
  if (unscheduled.length > 0) {
    throw new StartupInvalid(unscheduled.map((f) => new InvalidInput([{ origin: displayPath(f.file), message: NO_SCHEDULE }])));
  }

  const dir = scheduleDir(root);
  const lock = await acquireLock(dir, join(dir, 'scheduler.lock'), (m) => opts.log(`${new Date().toISOString()} ${m}`));
  const registry = new Registry();
  const scheduler = createCronScheduler({ root, command: opts.command, env: opts.env, log: opts.log, metrics: registerScheduleMetrics(registry) });
  // The same registry carries the project's pipeline and step metrics, read from its history at each scrape.
  const paths = projectPaths(root);
  const project = projectMetrics(registry, openRecords(paths), paths.store);
  let server: Server | undefined;
  if (opts.metrics) {
    // Before anything is scheduled: a port in use must end the process, not leave timers behind.
    try {
      server = await serveMetrics(opts.metrics, registry, [project], scheduler);
    } catch (error) {
      await lock.release();
      throw new Error(`--metrics-port ${opts.metrics.port}: ${(error as Error).message}`);
    }
    const { port, address } = server.address() as AddressInfo;
    opts.log(`${new Date().toISOString()} metrics on http://${address}:${port}/metrics`);
  }
  const sources = new Map<string, readonly string[]>();
  const apply = async (file: ScheduledFile, atStartup: boolean) => {
    sources.set(file.file, file.sources);
    await scheduler.set(file, atStartup);
  };
  for (const file of initial.loaded) await apply(file, true);
  if (scheduler.files().length === 0) opts.log(`${new Date().toISOString()} no schedules yet; watching ${displayPath(opts.files.folder ?? root)}`);

  const targets = (): WatchTargets => ({
    tracked: new Set([...(opts.files.folder ? [opts.files.folder] : opts.files.list()), ...[...sources.values()].flat()]),
    excluded: new Set([projectPaths(root).store]),
    sharedCode: new Map(),
  });
  const reload = async (paths: string[]) => {
    const changed = new Set(paths);
    const affected = new Set<string>();
    for (const path of paths) if (opts.files.holds(path)) affected.add(path);
    for (const [file, reads] of sources) if (reads.some((r) => changed.has(r))) affected.add(file);
    for (const file of affected) {
      if (!existsSync(file)) {
        sources.delete(file);
        scheduler.remove(file);
        continue;
      }
      try {
        await apply(readScheduledFile(file), false);
      } catch (error) {
        if (!(error instanceof InvalidInput)) throw error;
        opts.invalid(error);
        const kept = scheduler.files().includes(file) ? 'keeping the previous schedule' : 'not scheduled';
        opts.log(`${new Date().toISOString()} ${displayPath(file)} invalid; ${kept}`);
      }
    }
    // A retarget restarts the watcher, and an edit while it starts could be lost: only when needed.
    const next = targets();
    if (!sameTargets(next, watching)) {
      watching = next;
      await watcher.retarget(next);
    }
  };
  let reloading = Promise.resolve();
  let watching = targets();
  const watcher: FileWatcher = await watchFiles(watching, {
    debounceMs: opts.debounceMs ?? 200,
    onBurst: (paths) => {
      reloading = reloading.then(() => reload(paths)).catch((error: unknown) => opts.log(`${new Date().toISOString()} error: reload: ${(error as Error).message}`));
    },
    onError: (error) => opts.log(`${new Date().toISOString()} error: watching: ${error.message}`),
  });

  opts.log(`${new Date().toISOString()} watching ${watching.tracked.size} path(s) for schedule changes; Ctrl-C to stop`);


  let signals = 0;
  let resolveStopped!: (how: 'graceful' | 'aborted') => void;
  const stopped = new Promise<'graceful' | 'aborted'>((resolve) => (resolveStopped = resolve));
  const close = async () => {
    await watcher.close();
    server?.close();
    await reloading;
    await lock.release();
  };
  return {
    stopped,
    signal() {
      signals += 1;
      if (signals > 1) {
        opts.log(`${new Date().toISOString()} second signal: cancelling runs and exiting now`);
        scheduler.abort();
        resolveStopped('aborted');
        return;
      }
      const running = scheduler.running();
      opts.log(`${new Date().toISOString()} stopping: no more fires${running > 0 ? `; waiting up to ${opts.graceMs / 1000} s for ${running} run(s)` : ''} (signal again to exit now)`);
      void scheduler
        .stop(opts.graceMs)
        .then(close)
        .then(() => {
          opts.log(`${new Date().toISOString()} stopped`);
          resolveStopped('graceful');
        });
    },
  };
}

function serveMetrics(at: { port: number; host: string }, registry: Registry, sources: readonly MetricsSource[], scheduler: CronScheduler): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (path === '/metrics') {
      Promise.all(sources.map((source) => source.refresh())).then(() => registry.metrics()).then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: Error) => res.writeHead(500).end(error.message),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', schedules: scheduler.files().length, running: scheduler.running() }) + '\n');
    } else {
      res.writeHead(404).end('not found: try /metrics or /healthz\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve(server));
  });
}
