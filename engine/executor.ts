/**
 * Runs a planned pipeline: steps start as soon as their upstream steps are done,
 * up to `jobs` at a time and within resource limits (p-queue). Each step is decided
 * when it becomes ready, with its upstream outputs known, so an upstream rerun that
 * produced identical bytes leaves it cached (early cutoff).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import PQueue from 'p-queue';
import type { Pipeline, Step } from './pipeline.ts';
import type { Session } from './session.ts';
import type { Artifact, InputArtifact, RunInfo, StepContext, Tracker } from './plugin.ts';
import { gitInfo, type GitInfo } from './git.ts';
import type { RunRecord, RunSummary } from './records.ts';
import type { ArtifactRef } from './store.ts';
import { CorruptObject, MissingObject } from './store.ts';
import { decide, describeReasons, type Decision, type Reason } from './planner.ts';
import { buildManifest, gatherFacts, withResolvedModels, MISSING, type StepFacts } from './facts.ts';
import { inputArtifact, storeArtifact } from './artifacts.ts';
import { projectRelative } from './project.ts';
import { openSecrets } from './secrets.ts';

export type StepStatus = 'executed' | 'cached' | 'skipped' | 'failed';

export interface StepResult {
  id: string;
  status: StepStatus;
  reason: string;
  duration_ms: number;
  outputs: Record<string, string>;
  error?: string;
}

export interface RunResult {
  runId: string;
  pipeline: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  duration_ms: number;
  steps: StepResult[];
}

/** What the executor tells whoever displays or records the run. */
export interface RunObserver {
  stepStarted(id: string, decision: Decision): void;
  stepProgress(id: string, fraction: number, message?: string): void;
  stepLog(id: string, level: 'info' | 'warn' | 'debug', message: string): void;
  stepFinished(result: StepResult): void;
}

/** A tracker for one executed step; `finish` waits for its artifacts to be copied. */
export interface StepTracker extends Tracker {
  finish(status: 'FINISHED' | 'FAILED' | 'KILLED', durationMs: number, outputs?: Record<string, string>): Promise<void>;
}

/** Engine-level tracking (engine/tracking/sink.ts fits this shape): plugins only see `ctx.track`. */
export interface RunTrackingHooks {
  step(info: { stepId: string; plugin: string; version: string; key: string; params: unknown }): StepTracker;
  cached(info: { stepId: string; plugin: string; version: string; key: string; producedBy: string }): void;
}

export interface SelectOptions {
  /** Run these steps and what they need; all steps when empty. */
  targets?: readonly string[];
  /** Force this step and everything downstream of it. */
  from?: string;
  /** Force these steps. */
  force?: readonly string[];
}

export interface ExecuteOptions extends SelectOptions {
  jobs: number;
  keepGoing: boolean;
  resources?: Readonly<Record<string, number>>;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** The run's id (tracking names its outbox segment after it); generated when absent. */
  runId?: string;
  tracking?: RunTrackingHooks;
  /** The checkout's commit when the caller already asked git (tracking does); else read on first need. */
  git?: GitInfo;
  /** Cancels single steps while the rest of the run goes on (watch mode: an edit made them obsolete). A cancelled step is skipped, and its dependents with it. */
  stepSignal?(id: string): AbortSignal;
}

/** The steps a run touches, and which are forced, from targets/--from/--force. */
export function selectSteps(pipeline: Pipeline, opts: SelectOptions): { selected: Set<string>; forced: Set<string> } {
  const { graph } = pipeline;
  const forced = new Set(opts.force ?? []);
  let selected = new Set(pipeline.order);
  if (opts.targets && opts.targets.length > 0) {
    selected = new Set();
    const visit = (id: string) => {
      if (selected.has(id)) return;
      selected.add(id);
      for (const up of graph.inNeighbors(id)) visit(up);
    };
    for (const t of opts.targets) visit(t);
  }
  if (opts.from) {
    const down = (id: string) => {
      forced.add(id);
      selected.add(id);
      for (const next of graph.outNeighbors(id)) down(next);
    };
    down(opts.from);
    for (const id of [...selected]) for (const up of ancestors(pipeline, id)) selected.add(up);
  }
  return { selected, forced };
}

export function ancestors(pipeline: Pipeline, id: string): Set<string> {
  const out = new Set<string>();
  const stack = [id];
  while (stack.length > 0) for (const up of pipeline.graph.inNeighbors(stack.pop()!)) if (!out.has(up)) (out.add(up), stack.push(up));
  return out;
}

export async function execute(pipeline: Pipeline, session: Session, opts: ExecuteOptions, observer: RunObserver): Promise<RunResult> {
  const runStart = performance.now();
  const runId = opts.runId ?? newRunId();
  const startedAt = new Date().toISOString();
  const pipelineRel = projectRelative(pipeline.root, pipeline.file);
  const { selected, forced } = selectSteps(pipeline, opts);
  const order = pipeline.order.filter((id) => selected.has(id));
  const view = session.view(pipelineRel);
  const secrets = openSecrets(pipeline.root, opts.env);
  const records = new Map<string, RunRecord>();
  const results = new Map<string, StepResult>();
  const failed = new Set<string>();
  const cancel = new AbortController();
  const signal = AbortSignal.any([opts.signal, cancel.signal]);
  let stopping = false;
  const signalOf = (id: string) => {
    const own = opts.stepSignal?.(id);
    return own ? AbortSignal.any([signal, own]) : signal;
  };
  const stepCancelled = (id: string) => opts.stepSignal?.(id).aborted === true;

  const upstreamOf = (id: string) => pipeline.graph.inNeighbors(id).filter((u) => selected.has(u));

  const runStep = async (step: Step): Promise<StepResult> => {
    const t0 = performance.now();
    signalOf(step.id).throwIfAborted();
    const upstream = new Map<string, RunRecord>();
    for (const u of upstreamOf(step.id)) upstream.set(u, records.get(u)!);
    const producedExactly = new Set<string>();
    for (const r of upstream.values()) for (const path of Object.keys(r.files)) producedExactly.add(path);
    const facts = await gatherFacts(step, pipeline.root, producedExactly, session.stats, session.code, opts.env, session.store);
    const manifest = buildManifest(step, facts, upstream);
    const missing = Object.entries(manifest.deps).filter(([, h]) => h === MISSING).map(([p]) => p);
    if (missing.length > 0) throw new Error(`dep ${missing.map((p) => `\`${p}\``).join(', ')} does not exist`);
    let decision = decide(step.id, manifest, view, { forced: forced.has(step.id), cache: step.cache, alwaysRun: step.alwaysRun });

    if (decision.action === 'cached' && decision.record) {
      const reused = await reuse(step, decision.record);
      if (reused === true) {
        records.set(step.id, decision.record);
        await session.records.point(pipelineRel, step.id, decision.record.key, decision.record.runId);
        const plugin = step.plugin.plugin;
        opts.tracking?.cached({ stepId: step.id, plugin: plugin.name, version: plugin.version, key: decision.record.key, producedBy: `${decision.record.runId}:${decision.record.stepId}` });
        return result(step.id, 'cached', describeReasons(decision.reasons), t0, decision.record);
      }
      decision = { ...decision, action: 'run', reasons: [reused] };
    }

    observer.stepStarted(step.id, decision);
    started.set(step.id, { at: t0, why: describeReasons(decision.reasons) });
    const record = await executeStep(step, decision, upstream, facts, t0);
    records.set(step.id, record);
    return result(step.id, 'executed', describeReasons(decision.reasons), t0, record);
  };

  /** Checks a cached step's objects and restores its workspace outs. A problem turns into a reason to rerun. */
  const reuse = async (step: Step, record: RunRecord): Promise<true | Reason> => {
    try {
      for (const ref of Object.values(record.outputs)) await session.store.verify(ref);
      for (const [path, ref] of Object.entries(record.files)) {
        await session.store.verify(ref);
        const abs = join(pipeline.root, path);
        const current = await session.stats.hashPath(abs).catch(() => undefined);
        if (current?.hash !== ref.hash) await session.store.restore(ref, abs);
      }
      return true;
    } catch (error) {
      if (!(error instanceof CorruptObject) && !(error instanceof MissingObject)) throw error;
      observer.stepLog(step.id, 'warn', `${error.message}; re-executing`);
      return { kind: 'outputs-missing' };
    }
  };

  const executeStep = async (step: Step, decision: Decision, upstream: Map<string, RunRecord>, facts: StepFacts, t0: number): Promise<RunRecord> => {
    const plugin = step.plugin.plugin;
    const scratchDir = join(session.paths.tmp, runId, encodeURIComponent(step.id));
    await mkdir(scratchDir, { recursive: true });
    // Like DVC: stale outs are removed first, so a command that fails to write them cannot pass.
    for (const out of step.outs) await rm(join(pipeline.root, out), { recursive: true, force: true });
    const tracker = opts.tracking?.step({ stepId: step.id, plugin: plugin.name, version: plugin.version, key: decision.key!, params: step.params });
    const stepSignal = signalOf(step.id);
    try {
      const inputs: Record<string, InputArtifact> = {};
      for (const [port, ref] of Object.entries(step.inputs)) inputs[port] = await inputArtifact(session.store, upstream.get(ref.step)!.outputs[ref.output]!);
      const log = (level: 'info' | 'warn' | 'debug') => (message: string) => observer.stepLog(step.id, level, secrets.redact(message));
      const env: Record<string, string | undefined> = {};
      for (const name of step.env) env[name] = opts.env[name];
      const ctx: StepContext = {
        stepId: step.id,
        projectRoot: pipeline.root,
        scratchDir,
        stateDir: join(session.paths.state, encodeURIComponent(pipelineRel), encodeURIComponent(step.id)),
        signal: stepSignal,
        log: { info: log('info'), warn: log('warn'), debug: log('debug') },
        track: tracker ?? { params() {}, metric() {}, tag() {}, artifact() {} },
        env,
        secret: (name) => secrets.get(name),
        progress: (fraction, message) => observer.stepProgress(step.id, fraction, message === undefined ? undefined : secrets.redact(message)),
        run: runInfo(),
      };
      const produced = await plugin.run(ctx, withResolvedModels(step.params, facts.models) as Record<string, unknown>, inputs);
      stepSignal.throwIfAborted();
      const outputs: Record<string, ArtifactRef> = {};
      for (const name of step.outputs) {
        const artifact = produced[name] as Artifact | undefined;
        if (!artifact) throw new Error(`plugin \`${plugin.name}\` returned no output \`${name}\``);
        outputs[name] = await storeArtifact(session.store, artifact, scratchDir);
      }
      const extra = Object.keys(produced).filter((n) => !step.outputs.includes(n));
      if (extra.length > 0) throw new Error(`plugin \`${plugin.name}\` returned undeclared output ${extra.map((n) => `\`${n}\``).join(', ')}`);
      const files: Record<string, ArtifactRef> = {};
      for (const out of step.outs) {
        const abs = join(pipeline.root, out);
        const current = await session.stats.hashPath(abs).catch(() => undefined);
        if (!current) throw new Error(`step did not produce its declared out \`${out}\``);
        const put = current.kind === 'dir' ? await session.store.putDir(abs) : await session.store.putFile(abs);
        files[out] = { kind: current.kind, ...put };
      }
      const record: RunRecord = {
        key: decision.key!,
        stepId: step.id,
        pipeline: pipelineRel,
        manifest: decision.manifest!,
        outputs,
        files,
        runId,
        finishedAt: new Date().toISOString(),
        durationMs: Math.round(performance.now() - t0),
      };
      if (step.cache) await session.records.write(record);
      await session.records.point(pipelineRel, step.id, record.key, runId);
      await tracker?.finish('FINISHED', record.durationMs, result(step.id, 'executed', '', t0, record).outputs);
      return record;
    } catch (error) {
      await tracker?.finish(stepSignal.aborted ? 'KILLED' : 'FAILED', Math.round(performance.now() - t0));
      throw error;
    } finally {
      await rm(scratchDir, { recursive: true, force: true });
    }
  };

  const running = new Set<string>();
  /** When and why each executing step started, for its result if it fails. */
  const started = new Map<string, { at: number; why: string }>();
  let git = opts.git;
  /** What a plugin may show of the run (a report's metadata); not part of any key. */
  const runInfo = (): RunInfo => {
    git ??= gitInfo(pipeline.root);
    return {
      pipeline: pipelineRel,
      runId,
      startedAt,
      git,
      steps: order.map((id) => {
        const s = pipeline.steps.get(id)!;
        const done = results.get(id);
        const status = done?.status ?? (running.has(id) ? 'running' : 'pending');
        return { id, uses: s.uses, params: s.params, status, ...(status === 'cached' ? { producedIn: records.get(id)?.runId } : {}) };
      }),
    };
  };

  // Scheduling: a step is ready when all its selected upstream steps are done.
  const queue = new PQueue({ concurrency: Math.max(1, opts.jobs) });
  const waiting = new Map(order.map((id) => [id, upstreamOf(id).length]));
  const ready: string[] = order.filter((id) => waiting.get(id) === 0);
  const inUse = new Map<string, number>();
  const capacity = (name: string, wanted: number) => Math.max(opts.resources?.[name] ?? 1, wanted);
  const fits = (step: Step) => Object.entries(step.resources).every(([r, n]) => (inUse.get(r) ?? 0) + n <= capacity(r, n));
  const hold = (step: Step, sign: 1 | -1) => {
    for (const [r, n] of Object.entries(step.resources)) inUse.set(r, (inUse.get(r) ?? 0) + sign * n);
  };

  let settle!: () => void;
  const finished = new Promise<void>((r) => (settle = r));
  const finish = (res: StepResult) => {
    results.set(res.id, res);
    observer.stepFinished(res);
    if (res.status === 'failed' || res.status === 'skipped') failed.add(res.id);
    for (const next of pipeline.graph.outNeighbors(res.id)) {
      if (!waiting.has(next)) continue;
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
    if (results.size === order.length) settle();
  };
  const skip = (id: string, reason: string) => finish({ id, status: 'skipped', reason, duration_ms: 0, outputs: {} });

  const pump = () => {
    for (let i = 0; i < ready.length; ) {
      const id = ready[i]!;
      const step = pipeline.steps.get(id)!;
      const blockedBy = upstreamOf(id).filter((u) => failed.has(u));
      if (stopping || signal.aborted || stepCancelled(id) || blockedBy.length > 0) {
        ready.splice(i, 1);
        skip(id, (signal.aborted && !stopping) || stepCancelled(id) ? 'cancelled' : blockedBy.length > 0 ? `upstream ${blockedBy.map((b) => `\`${b}\``).join(', ')} did not complete` : 'not started: another step failed');
        continue;
      }
      if (!fits(step)) {
        i++;
        continue;
      }
      ready.splice(i, 1);
      hold(step, 1);
      void queue.add(async () => {
        let res: StepResult;
        running.add(id);
        try {
          res = await runStep(step);
        } catch (error) {
          const cancelled = signal.aborted || stepCancelled(id);
          const began = started.get(id);
          res = {
            id,
            status: cancelled ? 'skipped' : 'failed',
            reason: cancelled ? 'cancelled' : (began?.why ?? 'could not be planned'),
            duration_ms: began ? Math.round(performance.now() - began.at) : 0,
            outputs: {},
            error: secrets.redact(messageOf(error)),
          };
          if (!cancelled && !opts.keepGoing) {
            stopping = true;
            cancel.abort(new Error(`step \`${id}\` failed`));
          }
        }
        running.delete(id);
        hold(step, -1);
        finish(res);
        pump();
      });
    }
  };
  const onAbort = () => pump();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  if (order.length === 0) settle();
  pump();
  await finished;
  opts.signal.removeEventListener('abort', onAbort);
  await queue.onIdle();
  await session.save();

  const steps = order.map((id) => results.get(id)!);
  const status: RunResult['status'] = opts.signal.aborted ? 'cancelled' : steps.some((s) => s.status === 'failed' || s.status === 'skipped') ? 'failed' : 'succeeded';
  const summary: RunSummary = {
    runId,
    pipeline: pipelineRel,
    startedAt,
    finishedAt: new Date().toISOString(),
    status,
    steps: steps.map((s) => ({ id: s.id, status: s.status, key: records.get(s.id)?.key })),
  };
  await session.records.writeRun(summary);
  await rm(join(session.paths.tmp, runId), { recursive: true, force: true });
  return { runId, pipeline: pipeline.name, status, duration_ms: Math.round(performance.now() - runStart), steps };
}

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
}

function result(id: string, status: StepStatus, reason: string, t0: number, record: RunRecord): StepResult {
  const outputs: Record<string, string> = {};
  for (const [name, ref] of Object.entries(record.outputs)) outputs[name] = ref.hash;
  for (const [path, ref] of Object.entries(record.files)) outputs[path] = ref.hash;
  return { id, status, reason, duration_ms: Math.round(performance.now() - t0), outputs };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
