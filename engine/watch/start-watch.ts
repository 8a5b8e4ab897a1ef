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
import { openSession, type Session } from '../cache-session.ts';
import { acquireLock } from '../lock.ts';
import { codeHash, forgetCodeHashes } from '../step-facts.ts';
import { forgetPlugins } from '../plugin-loader.ts';
import { projectRelative } from '../project.ts';
import { execute, type RunObserver, type RunResult } from '../executor.ts';
import { selectSteps } from '../select.ts';
import { watchTargets, impactOf, sameTargets, type WatchTargets } from './targets.ts';
import { watchFiles, type FileWatcher } from './watcher.ts';
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
  const loop = new WatchLoop(initial, opts, reporter);
  await loop.begin();
  return { stop: () => loop.stop() };
}

/** The watch session's state between cycles, and the cycle itself. */
class WatchLoop {
  private readonly session: Session;
  private readonly stopping = new AbortController();
  private current: Pipeline;
  private scope: Set<string>;
  private targets!: WatchTargets;
  /** Plugin sources edited since their plugin last loaded; their steps wait until it loads. */
  private readonly unloaded = new Set<string>();
  /** Changed paths not handled yet. */
  private readonly queued = new Set<string>();
  /** Steps the last cycle cancelled or never started, retried by the next one. */
  private retry = new Set<string>();
  private active: ActiveRun | undefined;
  private loop: Promise<void> | undefined;
  private watcher!: FileWatcher;

  constructor(
    private readonly initial: Pipeline,
    private readonly opts: WatchOptions,
    private readonly reporter: WatchReporter,
  ) {
    this.session = openSession(initial.root);
    this.current = initial;
    this.scope = this.scopeOf(initial);
  }

  /** Starts watching and the first run. */
  async begin(): Promise<void> {
    this.targets = watchTargets(this.current, this.scope, await this.codeFilesOf(this.current));
    const t0 = performance.now();
    this.watcher = await watchFiles(this.targets, {
      debounceMs: this.opts.debounceMs ?? DEFAULT_DEBOUNCE_MS,
      onBurst: (paths) => {
        for (const p of paths) this.queued.add(p);
        if (this.active) this.cancelObsolete(paths).catch((error: unknown) => this.reporter.error(error));
        this.loop ??= this.drain(false);
      },
      onError: (error) => this.reporter.error(error),
    });
    this.reporter.watching({ files: this.targets.tracked.size, ms: performance.now() - t0 });
    this.loop = this.drain(true);
  }

  /** Cancels the running cycle, stops watching and resolves when all is quiet. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('watch stopped'));
    await this.watcher.close();
    await this.loop;
  }

  private rel(path: string): string {
    return projectRelative(this.initial.root, path);
  }

  private scopeOf(p: Pipeline): Set<string> {
    return selectSteps(p, { targets: this.opts.targets }).selected;
  }

  private async codeFilesOf(p: Pipeline): Promise<Map<string, string[]>> {
    const files = new Map<string, string[]>();
    for (const step of p.steps.values()) if (!files.has(step.plugin.source)) files.set(step.plugin.source, await this.session.code.files(step.plugin.entry));
    return files;
  }

  private async reload(trigger: string[]): Promise<Pipeline | undefined> {
    const { session, unloaded, opts } = this;
    if (unloaded.size > 0) {
      // Hash before importing: if the file changes in between, the recorded hash is the older
      // one and the next cycle reruns the step, instead of caching new code under an old hash.
      forgetCodeHashes();
      for (const step of this.current.steps.values()) if (unloaded.has(step.plugin.source)) await codeHash(step.plugin, session.stats, session.code);
      forgetPlugins(unloaded);
    }
    try {
      const next = await loadPipeline(this.initial.file, { overrides: opts.overrides });
      const gone = opts.targets.filter((id) => !next.steps.has(id));
      if (gone.length > 0) {
        throw new InvalidInput(gone.map((id) => ({ code: 'step-gone' as const, origin: 'watch', message: `step \`${id}\` named on the command line is no longer in the pipeline` })));
      }
      return next;
    } catch (error) {
      if (error instanceof InvalidInput) this.reporter.invalid(error, trigger);
      else this.reporter.error(error);
      return undefined;
    }
  }

  private async adopt(next: Pipeline): Promise<void> {
    this.current = next;
    this.scope = this.scopeOf(next);
    const nextTargets = watchTargets(next, this.scope, await this.codeFilesOf(next));
    const moved = !sameTargets(this.targets, nextTargets);
    this.targets = nextTargets;
    if (moved) await this.watcher.retarget(nextTargets);
  }

  /** Runs `direct` and everything downstream of it, or the whole scope on the first cycle. False when that is nothing. */
  private async run(trigger: string[], direct: Set<string> | undefined): Promise<boolean> {
    const { current, opts, reporter, session, stopping } = this;
    const held = withDescendants(current, stepsUsing(current, this.unloaded));
    const runTargets = direct ? [...withDescendants(current, direct)].filter((id) => this.scope.has(id) && !held.has(id)) : [...opts.targets];
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
    this.active = state;
    try {
      result = await execute(
        pipeline,
        session,
        { targets: runTargets, jobs: opts.jobs, keepGoing: opts.keepGoing, signal: runAbort.signal, env: opts.env, stepSignal: (id) => controller(id).signal },
        observer,
      );
    } finally {
      this.active = undefined;
      stopping.signal.removeEventListener('abort', stop);
      await lock.release();
    }
    const failed = result.steps.filter((s) => s.status === 'failed').map((s) => s.id);
    const blocked = withDescendants(pipeline, failed);
    this.retry = new Set(result.steps.filter((s) => s.status === 'skipped' && !blocked.has(s.id)).map((s) => s.id));
    const status = state.cancelled.size > 0 && failed.length === 0 && !stopping.signal.aborted ? 'cancelled' : result.status;
    reporter.cycle({ trigger, result: { ...result, status }, cancelled: [...state.cancelled].filter((id) => selected.has(id)) });
    return true;
  }

  private async cycle(paths: string[]): Promise<void> {
    const impact = impactOf(this.current, this.targets, paths);
    if (impact.paths.length === 0) return;
    const trigger = impact.paths.map((p) => this.rel(p));
    const direct = new Set([...impact.steps, ...this.retry]);
    for (const source of impact.plugins) this.unloaded.add(source);
    let valid = true;
    if (impact.yaml || impact.plugins.size > 0) {
      const reloading = new Set(this.unloaded);
      const next = await this.reload(trigger);
      valid = next !== undefined;
      if (next) {
        for (const id of changedSteps(this.current, next)) direct.add(id);
        for (const id of stepsUsing(next, reloading)) direct.add(id);
        this.unloaded.clear();
        await this.adopt(next);
      }
    }
    const ran = await this.run(trigger, new Set([...direct].filter((id) => this.current.steps.has(id))));
    if (!ran && valid) this.reporter.unaffected(trigger);
  }

  /** While a run is in progress: cancel the steps an edit made obsolete, unless they are done. */
  private async cancelObsolete(paths: string[]): Promise<void> {
    const state = this.active;
    if (!state) return;
    const impact = impactOf(state.pipeline, this.targets, paths);
    const direct = new Set([...impact.steps, ...stepsUsing(state.pipeline, impact.plugins)]);
    if (impact.yaml) {
      // A preview load, to see which steps the edit redefined; the follow-up cycle loads it for real.
      const preview = await loadPipeline(this.initial.file, { overrides: this.opts.overrides }).catch(() => undefined);
      if (preview) for (const id of changedSteps(state.pipeline, preview)) direct.add(id);
    }
    if (this.active !== state) return;
    for (const id of withDescendants(state.pipeline, direct)) {
      if (!state.selected.has(id) || state.finished.has(id)) continue;
      state.cancelled.add(id);
      state.controller(id).abort(new Error('cancelled: an input changed'));
    }
  }

  private async drain(first: boolean): Promise<void> {
    for (let initialRun = first; !this.stopping.signal.aborted && (initialRun || this.queued.size > 0); initialRun = false) {
      const paths = [...this.queued];
      this.queued.clear();
      try {
        if (initialRun) await this.run([], undefined);
        else await this.cycle(paths);
      } catch (error) {
        if (!this.stopping.signal.aborted) this.reporter.error(error);
      }
    }
    this.loop = undefined;
  }
}

/** The pipeline with `always_run` switched off for every step but `keep`. */
function withoutAlwaysRun(pipeline: Pipeline, keep: ReadonlySet<string>): Pipeline {
  if (![...pipeline.steps.values()].some((s) => s.alwaysRun && !keep.has(s.id))) return pipeline;
  const steps = new Map([...pipeline.steps].map(([id, s]) => [id, s.alwaysRun && !keep.has(id) ? { ...s, alwaysRun: false } : s]));
  return { ...pipeline, steps };
}
