/** A watch session on a temp project, with every report recorded and awaitable. */
import { loadPipeline } from '../../engine/pipeline.ts';
import { startWatch, type Cycle, type WatchSession } from '../../engine/watch/start-watch.ts';
import type { InvalidInput } from '../../engine/errors.ts';
import { project, type Project } from '../helpers/project.ts';

export type Report =
  | { kind: 'cycle'; cycle: Cycle }
  | { kind: 'unaffected'; trigger: string[] }
  | { kind: 'invalid'; error: InvalidInput; trigger: string[] }
  | { kind: 'error'; error: unknown };

export interface Watched {
  project: Project;
  reports: Report[];
  /** The next report not consumed yet (waits up to `ms`). */
  next(ms?: number): Promise<Report>;
  /** The next report, which must be a cycle. */
  nextCycle(ms?: number): Promise<Cycle>;
  /** Asserts that nothing is reported for `ms` (no self-triggered cycle). */
  quiet(ms: number): Promise<void>;
  write(rel: string, text: string): void;
  stop(): Promise<void>;
}

/** Events are delivered fast, but this machine may be loaded: wait generously for them. */
const EVENT_TIMEOUT_MS = 20_000;

/** Test sessions use a shorter debounce than the default 200 ms to keep the suite fast. */
export const TEST_DEBOUNCE_MS = 100;

export interface WatchedOptions {
  file?: string;
  targets?: string[];
  debounceMs?: number;
}

export async function watched(files: Record<string, string>, opts: WatchedOptions = {}): Promise<Watched> {
  // User plugins are ES modules: the project says so, as `tradepipe init` projects should.
  const p = project({ 'package.json': '{ "type": "module" }\n', ...files });
  const reports: Report[] = [];
  let consumed = 0;
  let wake: (() => void) | undefined;
  const push = (r: Report) => {
    reports.push(r);
    wake?.();
  };
  let session: WatchSession;
  try {
    const pipeline = await loadPipeline(`${p.dir}/${opts.file ?? 'p.yaml'}`);
    session = await startWatch(
      pipeline,
      { targets: opts.targets ?? [], overrides: [], jobs: 2, keepGoing: false, env: {}, debounceMs: opts.debounceMs ?? TEST_DEBOUNCE_MS },
      {
        steps: { stepStarted() {}, stepProgress() {}, stepLog() {}, stepFinished() {} },
        watching() {},
        cycle: (cycle) => push({ kind: 'cycle', cycle }),
        unaffected: (trigger) => push({ kind: 'unaffected', trigger }),
        invalid: (error, trigger) => push({ kind: 'invalid', error, trigger }),
        error: (error) => push({ kind: 'error', error }),
        waiting() {},
      },
    );
  } catch (error) {
    p.cleanup();
    throw error;
  }
  const next = async (ms = EVENT_TIMEOUT_MS): Promise<Report> => {
    const deadline = Date.now() + ms;
    while (consumed >= reports.length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no report within ${ms} ms; so far: ${JSON.stringify(reports.map(summary))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    return reports[consumed++]!;
  };
  return {
    project: p,
    reports,
    next,
    async nextCycle(ms) {
      const r = await next(ms);
      if (r.kind !== 'cycle') throw new Error(`expected a cycle, got ${JSON.stringify(summary(r))}`);
      return r.cycle;
    },
    async quiet(ms) {
      const before = reports.length;
      await new Promise((r) => setTimeout(r, ms));
      if (reports.length > before) throw new Error(`unexpected report: ${JSON.stringify(reports.slice(before).map(summary))}`);
    },
    write: (rel, text) => void p.write(rel, text),
    async stop() {
      await session.stop();
      p.cleanup();
    },
  };
}

/** step id -> status, for exact comparisons. */
export function statuses(cycle: Cycle): Record<string, string> {
  return Object.fromEntries(cycle.result.steps.map((s) => [s.id, s.status]));
}

function summary(r: Report): unknown {
  switch (r.kind) {
    case 'cycle':
      return { cycle: r.cycle.trigger, steps: statuses(r.cycle), errors: r.cycle.result.steps.filter((s) => s.error).map((s) => s.error) };
    case 'invalid':
      return { invalid: r.error.message };
    case 'unaffected':
      return { unaffected: r.trigger };
    case 'error':
      return { error: String(r.error) };
  }
}
