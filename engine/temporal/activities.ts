/**
 * The activity a `tradepipe worker` runs: one step of a pipeline, planned and executed
 * through the same StepRunner as a local run (same facts, same key, same outputs), with
 * the real records of its upstream steps pulled from the remote and its own outputs pushed
 * there before it returns. A step whose record the remote already holds (early cutoff, or
 * a retry after the work was done) is a cache hit and returns at once without running.
 * What the plugin tracks (`ctx.track`) goes back in the outcome, its progress in the heartbeat.
 */
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { openSession } from '../cache-session.ts';
import { InvalidInput } from '../errors.ts';
import { loadPipeline, type Pipeline } from '../pipeline.ts';
import type { Decision, Reason } from '../planner.ts';
import type { RemoteCache } from '../remote/cache.ts';
import type { RunRecord } from '../records.ts';
import { RunState, type RunObserver } from '../run-state.ts';
import { openSecrets } from '../secrets.ts';
import { StepRunner, type RunTrackingHooks } from '../step-runner.ts';
import type { Session } from '../cache-session.ts';
import type { ArtifactRef } from '../store.ts';
import type { Beat, StepOutcome, StepTask, TrackedCall } from './protocol.ts';
import { trackedCalls } from './tracked.ts';

export interface WorkerEnvironment {
  root: string;
  env: NodeJS.ProcessEnv;
  /** The remote every worker and the CLI share. */
  openRemote(session: Session, signal: AbortSignal): Promise<RemoteCache>;
  log(line: string): void;
  /**
   * The run's own tracking, in the CLI process that serves its task queue: a step tracks
   * into it directly and gets `ctx.registry`, instead of recording its calls for replay.
   */
  tracking?: RunTrackingHooks;
}

const HEARTBEAT_MS = 1000;

export function stepActivities(w: WorkerEnvironment) {
  return {
    async executeStep(task: StepTask): Promise<StepOutcome> {
      const ctx = Context.current();
      const signal = ctx.cancellationSignal;
      // The whole beat every time: Temporal keeps only the last heartbeat's details, which the CLI reads.
      const beat: Beat = {};
      // A timer beats even while a plugin reports no progress, so only a dead worker stops the heartbeat.
      const timer = setInterval(() => ctx.heartbeat(beat), HEARTBEAT_MS);
      const session = openSession(w.root);
      w.log(`${task.runId} ${task.stepId}: attempt ${ctx.info.attempt}`);
      try {
        const pipeline = await loadTask(w.root, task);
        const step = pipeline.steps.get(task.stepId);
        if (!step) throw ApplicationFailure.nonRetryable(`step \`${task.stepId}\` is not in ${task.pipeline} on this worker`, 'InvalidPipeline');
        const remote = await w.openRemote(session, signal);
        const state = new RunState(pipeline, task.pipeline, task.runId, new Date().toISOString(), [...Object.keys(task.upstream), task.stepId], undefined);
        for (const [id, key] of Object.entries(task.upstream)) state.records.set(id, await upstreamRecord(session, remote, pipeline, id, key));
        let reasons: Reason[] = [];
        const observer: RunObserver = {
          stepStarted(_id: string, decision: Decision) {
            // Checked before the plugin runs: a worker with other code or plugin versions must not produce outputs under another key.
            if (task.key && decision.key !== task.key)
              throw ApplicationFailure.nonRetryable(`step \`${task.stepId}\` has key ${decision.key} on worker ${hostname()} but ${task.key} where the run was planned: the checkouts differ`, 'KeyMismatch');
            reasons = decision.reasons;
            beat.started = { key: decision.key!, reasons };
            ctx.heartbeat(beat);
          },
          stepProgress(_id, fraction, message) {
            beat.fraction = fraction;
            beat.message = message;
            ctx.heartbeat(beat);
          },
          stepLog(id, level, message) {
            w.log(`${task.runId} ${id} ${level}: ${message}`);
          },
          stepFinished() {},
        };
        const tracked: TrackedCall[] = [];
        const runner = new StepRunner({
          session,
          state,
          view: remote.view(session.view(task.pipeline)),
          observer,
          secrets: openSecrets(w.root, w.env),
          env: w.env,
          forced: new Set(task.forced ? [task.stepId] : []),
          tracking: !task.track ? undefined : w.tracking ? executedOnly(w.tracking) : trackedCalls(tracked, (path) => shareArtifact(session, remote, path), (m) => w.log(`${task.runId} ${task.stepId} warn: ${m}`)),
          remote,
          signalOf: () => signal,
          upstreamOf: () => Object.keys(task.upstream),
          retries: () => 0, // Temporal retries the activity, on any worker
        });
        const { result, durable } = await runner.run(step);
        await durable;
        const shared = await remote.flush();
        if (shared.failures.length > 0) throw new Error(`could not share the outputs: ${shared.failures.join('; ')}`);
        const record = state.records.get(task.stepId)!;
        w.log(`${task.runId} ${task.stepId}: ${result.status} (${result.duration_ms} ms)`);
        const status = result.status === 'cached' ? 'cached' : 'executed';
        return { key: record.key, status, reasons, reason: result.reason, host: hostname(), tracked, ...(w.tracking ? { trackedHere: true } : {}) };
      } catch (error) {
        w.log(`${task.runId} ${task.stepId}: ${signal.aborted ? 'cancelled' : `failed: ${(error as Error).message}`}`);
        throw error;
      } finally {
        clearInterval(timer);
        await session.save();
      }
    },
  };
}

/** The run's tracking for an executed step; a cache hit is tracked by the run following the step, as for any worker. */
function executedOnly(tracking: RunTrackingHooks): RunTrackingHooks {
  return { step: (info) => tracking.step(info), cached() {} };
}

/** A stored artifact's objects, uploaded to the remote for the CLI to fetch. */
async function shareArtifact(session: Session, remote: RemoteCache, path: string): Promise<ArtifactRef> {
  const kind = (await stat(path)).isDirectory() ? 'dir' : 'file';
  const ref: ArtifactRef = { kind, ...(kind === 'dir' ? await session.store.putDir(path) : await session.store.putFile(path)) };
  await remote.upload([ref]);
  return ref;
}

async function loadTask(root: string, task: StepTask): Promise<Pipeline> {
  try {
    return await loadPipeline(join(root, task.pipeline), { overrides: task.overrides });
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    throw ApplicationFailure.nonRetryable(`${task.pipeline} does not load on worker ${hostname()}: ${error.message}`, 'InvalidPipeline');
  }
}

/** An upstream step's record with its objects in the local store and its workspace outs restored. */
async function upstreamRecord(session: Session, remote: RemoteCache, pipeline: Pipeline, id: string, key: string): Promise<RunRecord> {
  let record = session.records.read(key);
  if (!record || !session.view('').complete(record)) {
    record = await remote.recordOf(key);
    if (!record) throw new Error(`the record of upstream step \`${id}\` (${key}) is not in remote ${remote.config.name}`);
    const fetched = await remote.fetch(record);
    if (fetched !== true) throw new Error(`upstream step \`${id}\`: ${fetched.kind}`);
  }
  for (const [path, ref] of Object.entries(record.files)) {
    const abs = join(pipeline.root, path);
    const current = await session.stats.hashPath(abs).catch(() => undefined);
    if (current?.hash !== ref.hash) await session.store.restore(ref, abs);
  }
  return record;
}
