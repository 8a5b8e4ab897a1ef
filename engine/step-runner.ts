/**
 * Runs one ready step: gathers its facts, decides (cached or run), and either reuses the
 * cached outputs or executes the plugin and stores what it produced.
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { inputArtifact, storeArtifact } from './artifacts.ts';
import type { Session } from './cache-session.ts';
import type { Step } from './pipeline-model.ts';
import { decide, describeReasons, type CacheView, type Decision, type Reason } from './planner.ts';
import type { Artifact, InputArtifact, StepContext, StepModelRegistry, Tracker } from './plugin.ts';
import type { RunRecord } from './records.ts';
import { resultOf, type RunObserver, type RunState, type StepOutcome, type StepResult } from './run-state.ts';
import type { Secrets } from './secrets.ts';
import { buildManifest, gatherFacts, MISSING, type StepFacts, withResolvedModels } from './step-facts.ts';
import { type ArtifactRef, CorruptObject, MissingObject } from './store.ts';
import type { WorkerPool } from './worker/pool.ts';
import { cacheKey } from './key.ts';
import type { RemoteHooks } from './remote/cache.ts';
import { confinedPath } from './confine.ts';
import { formatDuration } from './format.ts';
import { retryDelayMs } from './retry.ts';

/** A tracker for one executed step; `finish` waits for its artifacts to be copied. */
export interface StepTracker extends Tracker {
  /** Provided as the step's `ctx.registry`. */
  readonly registry?: StepModelRegistry;
  finish(status: 'FINISHED' | 'FAILED' | 'KILLED', durationMs: number, outputs?: Record<string, string>): Promise<void>;
}

/** Engine-level tracking (engine/tracking/sink.ts fits this shape): plugins only see `ctx.track`. */
export interface RunTrackingHooks {
  step(info: { stepId: string; plugin: string; version: string; key: string; params: unknown }): StepTracker;
  cached(info: { stepId: string; plugin: string; version: string; key: string; producedBy: string }): void;
}

export interface StepRunnerOptions {
  session: Session;
  state: RunState;
  view: CacheView;
  observer: RunObserver;
  secrets: Secrets;
  env: NodeJS.ProcessEnv;
  forced: ReadonlySet<string>;
  tracking: RunTrackingHooks | undefined;
  /** A shared cache: read-through before deciding, write-behind after executing. */
  remote?: RemoteHooks;
  /** The step's abort signal: the run's, and the step's own where watch mode can cancel it. */
  signalOf(id: string): AbortSignal;
  /** The step's selected upstream steps. */
  upstreamOf(id: string): string[];
  /** Steps that execute elsewhere (Temporal workers): followed here, never decided here. */
  dispatch?: StepDispatch;
  /** Extra attempts after a failure; a Temporal worker makes none (Temporal retries the activity). */
  retries(step: Step): number;
  /** Where CPU-bound plugins run; without it every plugin runs on the main thread. */
  workers?: WorkerPool;
}

/** Steps a scheduler elsewhere (a Temporal workflow) runs; the run follows them. */
export interface StepDispatch {
  handles(id: string): boolean;
  /**
   * Resolves once a worker is done with the step and its record is in the remote; rejects
   * when it failed there. `started` is called when its plugin starts on a worker, `progress`
   * with its `ctx.progress`.
   */
  follow(id: string, watch: { started(decision: Decision): void; progress(fraction: number, message?: string): void }, signal: AbortSignal): Promise<DispatchedStep>;
}

export interface DispatchedStep {
  record: RunRecord;
  /** `cached` when the worker's plan found the record (early cutoff). */
  status: 'executed' | 'cached';
  /** Why the worker executed it. */
  reasons: Reason[];
  /** The result's reason: why it executed, or why it was cached. */
  reason: string;
  host: string;
  /** Replays what the plugin tracked on the worker into this run's tracker; absent when it ran in this process, tracked directly. */
  track?(tracker: Tracker): Promise<void>;
}

export class StepRunner {
  constructor(private readonly o: StepRunnerOptions) {}

  /** The step's result once its work is done; its `durable` settles once its record and pointer are on disk. */
  async run(step: Step): Promise<StepOutcome> {
    const { session, state, observer } = this.o;
    const t0 = performance.now();
    this.o.signalOf(step.id).throwIfAborted();
    if (this.o.dispatch?.handles(step.id)) return { result: await this.dispatched(step, t0) };
    const upstream = new Map<string, RunRecord>();
    for (const u of this.o.upstreamOf(step.id)) upstream.set(u, state.records.get(u)!);
    const producedExactly = new Set<string>();
    for (const r of upstream.values()) for (const path of Object.keys(r.files)) producedExactly.add(path);
    const facts = await gatherFacts(step, state.pipeline.root, producedExactly, session.stats, session.code, this.o.env, session.store);
    const manifest = buildManifest(step, facts, upstream);
    const missing = Object.entries(manifest.deps).filter(([, h]) => h === MISSING).map(([p]) => p);
    if (missing.length > 0) throw new Error(`dep ${missing.map((p) => `\`${p}\``).join(', ')} does not exist`);
    await this.o.remote?.lookup(cacheKey(manifest), this.o.view);
    let decision = decide(step.id, manifest, this.o.view, { forced: this.o.forced.has(step.id), cache: step.cache, alwaysRun: step.alwaysRun });

    if (decision.action === 'cached' && decision.record) {
      const fetched = decision.reasons[0]?.kind === 'remote' ? await this.o.remote!.fetch(decision.record) : true;
      const reused = fetched === true ? await this.reuse(step, decision.record) : fetched;
      if (reused === true) {
        state.records.set(step.id, decision.record);
        const durable = session.records.point(state.pipelineRel, step.id, decision.record.key, decision.record.runId);
        const plugin = step.plugin.plugin;
        this.o.tracking?.cached({ stepId: step.id, plugin: plugin.name, version: plugin.version, key: decision.record.key, producedBy: `${decision.record.runId}:${decision.record.stepId}` });
        return { result: resultOf(step.id, 'cached', describeReasons(decision.reasons), t0, decision.record), durable };
      }
      decision = { ...decision, action: 'run', reasons: [reused] };
    }

    observer.stepStarted(step.id, decision);
    state.started.set(step.id, { at: t0, why: describeReasons(decision.reasons) });
    const { record, durable } = await this.attempts(step, decision, upstream, facts, t0);
    if (step.cache) this.o.remote?.executed(record);
    state.records.set(step.id, record);
    return { result: resultOf(step.id, 'executed', describeReasons(decision.reasons), t0, record), durable };
  }

  /**
   * A step a worker ran: its objects come from the remote, verified, then its workspace outs
   * are restored, as for a remote cache hit. Tracked here, with the worker's host.
   */
  private async dispatched(step: Step, t0: number): Promise<StepResult> {
    const { observer, state, session, tracking } = this.o;
    let began = false;
    const started = (decision: Decision) => {
      if (began) return;
      began = true;
      observer.stepStarted(step.id, decision);
      state.started.set(step.id, { at: performance.now(), why: describeReasons(decision.reasons) });
    };
    const progress = (fraction: number, message?: string) => observer.stepProgress(step.id, fraction, message);
    const done = await this.o.dispatch!.follow(step.id, { started, progress }, this.o.signalOf(step.id)).catch((error: unknown) => {
      // Failed before this run saw it start (the heartbeat is polled): its result still says where it ran.
      if (!began) state.started.set(step.id, { at: t0, why: 'ran on a worker' });
      throw error;
    });
    const { record } = done;
    if (done.status === 'executed') started({ id: step.id, action: 'run', reasons: done.reasons, key: record.key });
    observer.stepLog(step.id, 'info', done.track ? `${done.status} on worker ${done.host}` : `${done.status} in this process (it uses the model registry)`);
    const fetched = await this.o.remote!.fetch(record);
    const reused = fetched === true ? await this.reuse(step, record) : fetched;
    if (reused !== true) throw new Error(`the outputs worker ${done.host} shared cannot be used: ${describeReasons([reused])}`);
    state.records.set(step.id, record);
    await session.records.point(state.pipelineRel, step.id, record.key, record.runId);
    const plugin = step.plugin.plugin;
    const info = { stepId: step.id, plugin: plugin.name, version: plugin.version, key: record.key };
    if (done.status === 'cached') {
      tracking?.cached({ ...info, producedBy: `${record.runId}:${record.stepId}` });
      return resultOf(step.id, 'cached', done.reason, t0, record);
    }
    const result = { ...resultOf(step.id, 'executed', done.reason, t0, record), duration_ms: record.durationMs };
    const replay = done.track;
    const tracker = replay && tracking?.step({ ...info, params: step.params });
    if (replay && tracker) {
      await replay(tracker);
      tracker.tag('tradepipe.worker_host', done.host);
      await tracker.finish('FINISHED', record.durationMs, result.outputs);
    }
    return result;
  }

  /** Executes a step, again after a failure while it has retries left (`retries:`), waiting longer each time. */
  private async attempts(step: Step, decision: Decision, upstream: Map<string, RunRecord>, facts: StepFacts, t0: number): Promise<{ record: RunRecord; durable: Promise<unknown> }> {
    const retries = this.o.retries(step);
    const signal = this.o.signalOf(step.id);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.execute(step, decision, upstream, facts, t0);
      } catch (error) {
        if (signal.aborted || attempt > retries) throw error;
        const wait = retryDelayMs(attempt);
        const message = this.o.secrets.redact((error as Error).message ?? String(error));
        this.o.observer.stepLog(step.id, 'warn', `attempt ${attempt} of ${retries + 1} failed: ${message}; retrying in ${formatDuration(wait)}`);
        await sleep(wait, undefined, { signal }).catch(() => signal.throwIfAborted());
      }
    }
  }

  /** Checks a cached step's objects and restores its workspace outs. A problem turns into a reason to rerun. */
  private async reuse(step: Step, record: RunRecord): Promise<true | Reason> {
    const { session } = this.o;
    try {
      for (const ref of Object.values(record.outputs)) await session.store.verify(ref);
      for (const [path, ref] of Object.entries(record.files)) {
        await session.store.verify(ref);
        const abs = join(this.o.state.pipeline.root, path);
        const current = await session.stats.hashPath(abs).catch(() => undefined);
        if (current?.hash !== ref.hash) await session.store.restore(ref, abs);
      }
      return true;
    } catch (error) {
      if (!(error instanceof CorruptObject) && !(error instanceof MissingObject)) throw error;
      this.o.observer.stepLog(step.id, 'warn', `${error.message}; re-executing`);
      return { kind: 'outputs-missing' };
    }
  }

  /** Runs the plugin and stores what it produced; `durable` settles once the record and pointer are committed. */
  private async execute(step: Step, decision: Decision, upstream: Map<string, RunRecord>, facts: StepFacts, t0: number): Promise<{ record: RunRecord; durable: Promise<unknown> }> {
    const { session, state } = this.o;
    const plugin = step.plugin.plugin;
    const scratch = new ScratchDir(join(session.paths.tmp, state.runId, encodeURIComponent(step.id)));
    // Like DVC: stale outs are removed first, so a command that fails to write them cannot pass.
    for (const out of step.outs) await rm(await confinedPath(state.pipeline.root, out), { recursive: true, force: true });
    const tracker = this.o.tracking?.step({ stepId: step.id, plugin: plugin.name, version: plugin.version, key: decision.key!, params: step.params });
    const stepSignal = this.o.signalOf(step.id);
    try {
      const inputs: Record<string, InputArtifact> = {};
      for (const [port, ref] of Object.entries(step.inputs)) inputs[port] = await inputArtifact(session.store, upstream.get(ref.step)!.outputs[ref.output]!);
      const ctx = this.context(step, scratch, stepSignal, tracker);
      const params = withResolvedModels(step.params, facts.models) as Record<string, unknown>;
      const cpu = typeof plugin.cpu === 'function' ? plugin.cpu(step.params) : plugin.cpu === true;
      const { workers, secrets, env } = this.o;
      const produced =
        cpu && workers
          ? await workers.run({ entry: step.plugin.entry, params, inputs, ctx, secretUsed: (name) => void secrets.get(name), secretEnv: env })
          : await plugin.run(ctx, params, inputs);
      stepSignal.throwIfAborted();
      const outputs = await this.storeOutputs(step, produced, scratch.path);
      const files = await this.captureOuts(step);
      const record: RunRecord = {
        key: decision.key!,
        stepId: step.id,
        pipeline: state.pipelineRel,
        manifest: decision.manifest!,
        outputs,
        files,
        runId: state.runId,
        finishedAt: new Date().toISOString(),
        durationMs: Math.round(performance.now() - t0),
      };
      // Not awaited: the jobs slot is free while the batch commits; the scheduler reports the step, and starts its dependents, once it is durable.
      const durable = Promise.all([step.cache ? session.records.write(record) : undefined, session.records.point(state.pipelineRel, step.id, record.key, state.runId)]);
      await tracker?.finish('FINISHED', record.durationMs, resultOf(step.id, 'executed', '', t0, record).outputs);
      return { record, durable };
    } catch (error) {
      // The step's own error is the one to report: when tracking cannot record the failure
      // either (the same full disk), that second error would only hide the first.
      await tracker?.finish(stepSignal.aborted ? 'KILLED' : 'FAILED', Math.round(performance.now() - t0)).catch(() => undefined);
      throw error;
    } finally {
      await scratch.remove();
    }
  }

  private context(step: Step, scratch: ScratchDir, signal: AbortSignal, tracker: StepTracker | undefined): StepContext {
    const state = this.o.state;
    const { observer, secrets } = this.o;
    const log = (level: 'info' | 'warn' | 'debug') => (message: string) => observer.stepLog(step.id, level, secrets.redact(message));
    const env: Record<string, string | undefined> = {};
    for (const name of step.env) env[name] = this.o.env[name];
    return {
      stepId: step.id,
      projectRoot: this.o.state.pipeline.root,
      get scratchDir() {
        return scratch.made();
      },
      stateDir: join(this.o.session.paths.state, encodeURIComponent(this.o.state.pipelineRel), encodeURIComponent(step.id)),
      signal,
      log: { info: log('info'), warn: log('warn'), debug: log('debug') },
      track: tracker ?? { params() {}, metric() {}, tag() {}, artifact() {} },
      env,
      secret: (name) => secrets.get(name),
      progress: (fraction, message) => observer.stepProgress(step.id, fraction, message === undefined ? undefined : secrets.redact(message)),
      // Built when asked: it lists every step of the run, too much to build for each step.
      get run() {
        return state.runInfo();
      },
      registry: tracker?.registry,
    };
  }

  /** The plugin's returned outputs into the store: every declared one, and nothing else. */
  private async storeOutputs(step: Step, produced: Record<string, Artifact>, scratchDir: string): Promise<Record<string, ArtifactRef>> {
    const plugin = step.plugin.plugin;
    const outputs: Record<string, ArtifactRef> = {};
    for (const name of step.outputs) {
      const artifact = produced[name] as Artifact | undefined;
      if (!artifact) throw new Error(`plugin \`${plugin.name}\` returned no output \`${name}\``);
      outputs[name] = await storeArtifact(this.o.session.store, artifact, scratchDir);
    }
    const extra = Object.keys(produced).filter((n) => !step.outputs.includes(n));
    if (extra.length > 0) throw new Error(`plugin \`${plugin.name}\` returned undeclared output ${extra.map((n) => `\`${n}\``).join(', ')}`);
    return outputs;
  }

  /** The step's declared workspace outs into the store; each must exist. */
  private async captureOuts(step: Step): Promise<Record<string, ArtifactRef>> {
    const { session } = this.o;
    const files: Record<string, ArtifactRef> = {};
    for (const out of step.outs) {
      const abs = join(this.o.state.pipeline.root, out);
      const current = await session.stats.hashPath(abs).catch(() => undefined);
      if (!current) throw new Error(`step did not produce its declared out \`${out}\``);
      const put = current.kind === 'dir' ? await session.store.putDir(abs) : await session.store.putFile(abs);
      files[out] = { kind: current.kind, ...put };
    }
    return files;
  }
}

/** A step's scratch folder, made only when the plugin first asks for it (most never do). */
class ScratchDir {
  private exists = false;
  constructor(readonly path: string) {}

  made(): string {
    if (!this.exists) mkdirSync(this.path, { recursive: true });
    this.exists = true;
    return this.path;
  }

  async remove(): Promise<void> {
    if (this.exists) await rm(this.path, { recursive: true, force: true });
  }
}
