/**
 * Runs a planned pipeline: steps start as soon as their upstream steps are done,
 * up to `jobs` at a time and within resource limits (scheduler.ts). Each step is decided
 * when it becomes ready, with its upstream outputs known, so an upstream rerun that
 * produced identical bytes leaves it cached (early cutoff; step-runner.ts).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Pipeline } from './pipeline.ts';
import { selectSteps, type SelectOptions } from './select.ts';
import type { Session } from './cache-session.ts';
import type { GitInfo } from './git.ts';
import type { RunSummary } from './records.ts';
import { projectRelative } from './project.ts';
import { openSecrets } from './secrets.ts';
import { RunState, type RunObserver, type RunResult } from './run-state.ts';
import { Scheduler } from './scheduler.ts';
import { StepRunner, type RunTrackingHooks, type StepRunnerOptions } from './step-runner.ts';
import { WorkerPool } from './worker/pool.ts';
import type { RemoteHooks } from './remote/cache.ts';
import { recordRunEvents } from './events.ts';

export type { RunObserver, RunResult, StepResult, StepStatus } from './run-state.ts';
export type { RunTrackingHooks, StepTracker } from './step-runner.ts';

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
  /** A shared cache: read-through before deciding, write-behind after executing. */
  remote?: RemoteHooks;
  /** Steps executed elsewhere (a Temporal workflow schedules them on workers), which this run follows; needs `remote`. */
  dispatch?: StepRunnerOptions['dispatch'];
  /** The caller's work once every step has a result (tracking ships the run), done while the run's records commit, which mostly waits on the disk. */
  afterSteps?(status: RunResult['status']): Promise<void>;
}

export async function execute(pipeline: Pipeline, session: Session, opts: ExecuteOptions, observer: RunObserver): Promise<RunResult> {
  const runStart = performance.now();
  const runId = opts.runId ?? newRunId();
  const startedAt = new Date().toISOString();
  const pipelineRel = projectRelative(pipeline.root, pipeline.file);
  const { selected, forced } = selectSteps(pipeline, opts);
  const state = new RunState(pipeline, pipelineRel, runId, startedAt, pipeline.order.filter((id) => selected.has(id)), opts.git);
  const events = recordRunEvents(session.paths.store, { runId, pipeline: pipelineRel, steps: state.order }, (m) => process.stderr.write(`warning: ${m}\n`));
  observer = events.observe(observer);
  const view = opts.remote ? opts.remote.view(session.view(pipelineRel)) : session.view(pipelineRel);
  const secrets = openSecrets(pipeline.root, opts.env);
  const cancel = new AbortController();
  const signal = AbortSignal.any([opts.signal, cancel.signal]);
  const signalOf = (id: string) => {
    const own = opts.stepSignal?.(id);
    return own ? AbortSignal.any([signal, own]) : signal;
  };
  const stepCancelled = (id: string) => opts.stepSignal?.(id).aborted === true;
  const upstreamOf = (id: string) => pipeline.graph.inNeighbors(id).filter((u) => selected.has(u));

  // TRADEPIPE_WORKERS=off runs every plugin on the main thread (a profiler, a debugger, the bench's baseline).
  const workers = opts.env.TRADEPIPE_WORKERS === 'off' ? undefined : new WorkerPool(Math.max(1, opts.jobs));
  const runner = new StepRunner({
    session,
    state,
    view,
    observer,
    secrets,
    env: opts.env,
    forced,
    tracking: opts.tracking,
    remote: opts.remote,
    signalOf,
    upstreamOf,
    workers,
    dispatch: opts.dispatch,
    retries: (step) => step.retries ?? 0,
  });
  const scheduler = new Scheduler({
    pipeline,
    state,
    observer,
    jobs: opts.jobs,
    keepGoing: opts.keepGoing,
    resources: opts.resources,
    signal,
    cancel,
    stepCancelled,
    upstreamOf,
    runStep: (step) => runner.run(step),
    redact: (text) => secrets.redact(text),
  });
  const onAbort = () => scheduler.pump();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  await scheduler.run();
  opts.signal.removeEventListener('abort', onAbort);
  await scheduler.idle();
  await workers?.close();

  const steps = state.order.map((id) => state.results.get(id)!);
  const status: RunResult['status'] = opts.signal.aborted ? 'cancelled' : steps.some((s) => s.status === 'failed' || s.status === 'skipped') ? 'failed' : 'succeeded';
  const summary: RunSummary = {
    runId,
    pipeline: pipelineRel,
    startedAt,
    finishedAt: new Date().toISOString(),
    status,
    steps: steps.map((s) => ({ id: s.id, status: s.status, key: state.records.get(s.id)?.key })),
  };
  const committed = (async () => {
    await Promise.all([session.records.writeRun(summary), session.records.snapshot(pipelineRel, pipeline.order)]);
    // Also checkpoints the record journal: everything this run wrote is durable once it resolves.
    await session.save();
    await events.finish(status, Math.round(performance.now() - runStart));
  })();
  await Promise.all([committed, opts.afterSteps?.(status)]);
  await rm(join(session.paths.tmp, runId), { recursive: true, force: true });
  return { runId, pipeline: pipeline.name, status, duration_ms: Math.round(performance.now() - runStart), steps };
}

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
}
