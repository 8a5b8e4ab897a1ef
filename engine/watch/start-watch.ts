/**
 * Watch mode: run the pipeline once, then, for every burst of edits, rerun what the
 * edits affect. Each cycle goes through the normal planner and executor, targeted at
 * the steps whose YAML definition, plugin code or file deps changed and the steps
 * downstream of them (early cutoff still spares dependents whose inputs came out
 * identical). An edit that arrives during a run queues one follow-up cycle and
 * cancels the steps it made obsolete; the other running steps finish. An invalid
 * edit is reported and the last valid pipeline stays loaded.
 */
import { InvalidInput } from '../errors.ts';
import { loadPipeline, type Pipeline } from '../pipeline.ts';
import { openSession } from '../cache-session.ts';
import { acquireLock } from '../lock.ts';
import { codeHash, forgetCodeHashes } from '../step-facts.ts';
import { forgetPlugins } from '../plugin-loader.ts';
import { projectRelative } from '../project.ts';
import { execute, selectSteps, type RunObserver, type RunResult } from '../executor.ts';
import { watchTargets, impactOf, sameTargets, type WatchTargets } from './targets.ts';
import { watchFiles } from './watcher.ts';
import { changedSteps, stepsUsing, withDescendants } from './affected.ts';

export interface WatchOptions {
  /** Steps to keep up to date, with what they need; every step when empty. */
  targets: readonly string[];
  /** `--set` overrides, applied again on every reload. */
  overrides: readonly string[];
  jobs: number;
  keepGoing: boolean;
  env: NodeJS.ProcessEnv;
  /** Quiet time that ends a burst of file events. */
  debounceMs?: number;
}

export interface Cycle {
  /** Project-relative paths whose change started the cycle; empty for the first run. */
  trigger: string[];
  /** The steps this cycle evaluated (the affected ones and what they need). */
  result: RunResult;
  /** Steps cancelled because an edit made them obsolete; the next cycle reruns them. */
  cancelled: string[];
}

export interface WatchReporter {
  /** Step events of every cycle's run (a plain object: watch adds to a copy of it). */
  readonly steps: RunObserver;
  watching(info: { files: number; ms: number }): void;
  cycle(cycle: Cycle): void;
  /** Edits that changed nothing the session runs (e.g. a YAML edit that only fixed an invalid one). */
  unaffected(trigger: string[]): void;
  /** An edit left the pipeline invalid; the last valid one stays loaded. */
  invalid(error: InvalidInput, trigger: string[]): void;
  /** A cycle failed outside any step (a plugin that throws while loading, the lock); watching goes on. */
  error(error: unknown): void;
  /** The project lock is held by another process. */
  waiting(message: string): void;
}

export interface WatchSession {
  /** Cancels the running cycle, stops watching and resolves when all is quiet. */
  stop(): Promise<void>;
}

const DEFAULT_DEBOUNCE_MS = 200;

/** State of the run in progress, for cancelling what an edit made obsolete. */
interface ActiveRun {
  pipeline: Pipeline;
  selected: Set<string>;
  finished: Set<string>;
  cancelled: Set<string>;
  controller(id: string): AbortController;
}

export async function startWatch(initial: Pipeline, opts: WatchOptions, reporter: WatchReporter): Promise<WatchSession> {
  const session = openSession(initial.root);
  const stopping = new AbortController();
  const rel = (path: string) => projectRelative(initial.root, path);
  const scopeOf = (p: Pipeline) => selectSteps(p, { targets: opts.targets }).selected;

  const codeFilesOf = async (p: Pipeline) => {
    const files = new Map<string, string[]>();
    for (const step of p.steps.values()) if (!files.has(step.plugin.source)) files.set(step.plugin.source, await session.code.files(step.plugin.entry));
    return files;
  };

  let current = initial;
  let scope = scopeOf(current);
  let targets: WatchTargets = watchTargets(current, scope, await codeFilesOf(current));
  /** Plugin sources edited since their plugin last loaded; their steps wait until it loads. */
  const unloaded = new Set<string>();
  /** Changed paths not handled yet. */
  const queued = new Set<string>();
  /** Steps the last cycle cancelled or never started, retried by the next one. */
  let retry = new Set<string>();
  let active: ActiveRun | undefined;
  let loop: Promise<void> | undefined;

  const reload = async (trigger: string[]): Promise<Pipeline | undefined> => {
    if (unloaded.size > 0) {
      // Hash before importing: if the file changes in between, the recorded hash is the older
      // one and the next cycle reruns the step, instead of caching new code under an old hash.
      forgetCodeHashes();
      for (const step of current.steps.values()) if (unloaded.has(step.plugin.source)) await codeHash(step.plugin, session.stats, session.code);
      forgetPlugins(unloaded);
    }
    try {
      const next = await loadPipeline(initial.file, { overrides: opts.overrides });
      const gone = opts.targets.filter((id) => !next.steps.has(id));
      if (gone.length > 0) {
        throw new InvalidInput(gone.map((id) => ({ origin: 'watch', message: `step \`${id}\` named on the command line is no longer in the pipeline` })));
      }
      return next;
    } catch (error) {
      if (error instanceof InvalidInput) reporter.invalid(error, trigger);
      else reporter.error(error);
      return undefined;
    }
  };

  const adopt = async (next: Pipeline) => {
    current = next;
    scope = scopeOf(next);
    const nextTargets = watchTargets(next, scope, await codeFilesOf(next));
    const moved = !sameTargets(targets, nextTargets);
    targets = nextTargets;
    if (moved) await watcher.retarget(nextTargets);
  };

  /** Runs `direct` and everything downstream of it, or the whole scope on the first cycle. False when that is nothing. */
  const run = async (trigger: string[], direct: Set<string> | undefined): Promise<boolean> => {
    const held = withDescendants(current, stepsUsing(current, unloaded));
    const runTargets = direct ? [...withDescendants(current, direct)].filter((id) => scope.has(id) && !held.has(id)) : [...opts.targets];
    if (direct && runTargets.length === 0) return false;
    // always_run steps (e.g. data up to today) run on the first cycle and when their own inputs change, not on every save.
    const pipeline: Pipeline = direct ? withoutAlwaysRun(current, direct) : current;
    const controllers = new Map<string, AbortController>();
    const controller = (id: string) => {
      let c = controllers.get(id);
      if (!c) controllers.set(id, (c = new AbortController()));
      return c;
    };
    const selected = selectSteps(pipeline, { targets: runTargets }).selected;
    const state: ActiveRun = { pipeline, selected, finished: new Set(), cancelled: new Set(), controller };
    const observer: RunObserver = {
      ...reporter.steps,
      stepFinished(result) {
        state.finished.add(result.id);
        reporter.steps.stepFinished(result);
      },
    };
    const lock = await acquireLock(session.paths.store, session.paths.lock, reporter.waiting, stopping.signal);
    // The executor listens on its signal until the process ends: give each run its own, so finished runs can be collected.
    const runAbort = new AbortController();
    const stop = () => runAbort.abort(stopping.signal.reason);
    stopping.signal.addEventListener('abort', stop);
    let result: RunResult;
    active = state;
    try {
      result = await execute(
        pipeline,
        session,
        { targets: runTargets, jobs: opts.jobs, keepGoing: opts.keepGoing, signal: runAbort.signal, env: opts.env, stepSignal: (id) => controller(id).signal },
        observer,
      );
    } finally {
      active = undefined;
      stopping.signal.removeEventListener('abort', stop);
      await lock.release();
    }
    const failed = result.steps.filter((s) => s.status === 'failed').map((s) => s.id);
    const blocked = withDescendants(pipeline, failed);
    retry = new Set(result.steps.filter((s) => s.status === 'skipped' && !blocked.has(s.id)).map((s) => s.id));
    const status = state.cancelled.size > 0 && failed.length === 0 && !stopping.signal.aborted ? 'cancelled' : result.status;
    reporter.cycle({ trigger, result: { ...result, status }, cancelled: [...state.cancelled].filter((id) => selected.has(id)) });
    return true;
  };

  const cycle = async (paths: string[]) => {
    const impact = impactOf(current, targets, paths);
    if (impact.paths.length === 0) return;
    const trigger = impact.paths.map(rel);
    const direct = new Set([...impact.steps, ...retry]);
    for (const source of impact.plugins) unloaded.add(source);
    let valid = true;
    if (impact.yaml || impact.plugins.size > 0) {
      const reloading = new Set(unloaded);
      const next = await reload(trigger);
      valid = next !== undefined;
      if (next) {
        for (const id of changedSteps(current, next)) direct.add(id);
        for (const id of stepsUsing(next, reloading)) direct.add(id);
        unloaded.clear();
        await adopt(next);
      }
    }
    const ran = await run(trigger, new Set([...direct].filter((id) => current.steps.has(id))));
    if (!ran && valid) reporter.unaffected(trigger);
  };

  /** While a run is in progress: cancel the steps an edit made obsolete, unless they are done. */
  const cancelObsolete = async (paths: string[]) => {
    const state = active;
    if (!state) return;
    const impact = impactOf(state.pipeline, targets, paths);
    const direct = new Set([...impact.steps, ...stepsUsing(state.pipeline, impact.plugins)]);
    if (impact.yaml) {
      // A preview load, to see which steps the edit redefined; the follow-up cycle loads it for real.
      const preview = await loadPipeline(initial.file, { overrides: opts.overrides }).catch(() => undefined);
      if (preview) for (const id of changedSteps(state.pipeline, preview)) direct.add(id);
    }
    if (active !== state) return;
    for (const id of withDescendants(state.pipeline, direct)) {
      if (!state.selected.has(id) || state.finished.has(id)) continue;
      state.cancelled.add(id);
      state.controller(id).abort(new Error('cancelled: an input changed'));
    }
  };

  const drain = async (first: boolean) => {
    for (let initialRun = first; !stopping.signal.aborted && (initialRun || queued.size > 0); initialRun = false) {
      const paths = [...queued];
      queued.clear();
      try {
        if (initialRun) await run([], undefined);
        else await cycle(paths);
      } catch (error) {
        if (!stopping.signal.aborted) reporter.error(error);
      }
    }
    loop = undefined;
  };

  const t0 = performance.now();
  const watcher = await watchFiles(targets, {
    debounceMs: opts.debounceMs ?? DEFAULT_DEBOUNCE_MS,
    onBurst(paths) {
      for (const p of paths) queued.add(p);
      if (active) cancelObsolete(paths).catch((error: unknown) => reporter.error(error));
      loop ??= drain(false);
    },
    onError: (error) => reporter.error(error),
  });
  reporter.watching({ files: targets.tracked.size, ms: performance.now() - t0 });
  loop = drain(true);

  return {
    async stop() {
      stopping.abort(new Error('watch stopped'));
      await watcher.close();
      await loop;
    },
  };
}

/** The pipeline with `always_run` switched off for every step but `keep`. */
function withoutAlwaysRun(pipeline: Pipeline, keep: ReadonlySet<string>): Pipeline {
  if (![...pipeline.steps.values()].some((s) => s.alwaysRun && !keep.has(s.id))) return pipeline;
  const steps = new Map([...pipeline.steps].map(([id, s]) => [id, s.alwaysRun && !keep.has(id) ? { ...s, alwaysRun: false } : s]));
  return { ...pipeline, steps };
}
