/**
 * The CLI's side of `run --executor temporal`: it starts one workflow per run with the
 * graph of steps to consider, then only watches. The workflow schedules; the CLI polls
 * its progress query (each step's state and outcome) and the server's description of it
 * (the running activities' heartbeats: whether a plugin started, and its `ctx.progress`),
 * and hands each step's outcome to the local run, which fetches and verifies its outputs.
 * Aborting the run (Ctrl-C) cancels the workflow, which cancels the running activities and
 * waits until the workers have stopped them. If the CLI dies, the workflow carries on, and
 * a rerun meets it still running (one workflow id per pipeline): it can follow it instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Tracker } from '../plugin.ts';
import type { RemoteCache } from '../remote/cache.ts';
import type { Secrets } from '../secrets.ts';
import type { DispatchedStep, StepDispatch } from '../step-runner.ts';
import type { Store } from '../store.ts';
import type { TemporalConfig } from './config.ts';
import { connectionOptions } from './connect.ts';
import { type Beat, PROGRESS_QUERY, type RunGraph, type RunProgress, type StepOutcome, type StepState, WORKFLOW_NAME } from './protocol.ts';
import type { WorkflowMemo } from './running.ts';
import { replayTracked } from './tracked.ts';

const POLL_MS = 250;
/** How long watching may fail before the CLI says so (it keeps trying: the workflow runs on without it). */
const QUIET_FAILURES_MS = 10_000;

export interface TemporalRunOptions {
  config: TemporalConfig;
  secrets: Secrets;
  remote: RemoteCache;
  store: Store;
  graph: RunGraph;
  /** Derived from the remote and the pipeline file (running.ts): one workflow per pipeline at a time. */
  workflowId: string;
  memo: WorkflowMemo;
  /** The user's abort (Ctrl-C): cancels the workflow. */
  signal: AbortSignal;
  warn(message: string): void;
}

export interface TemporalRun extends StepDispatch {
  readonly workflowId: string;
  /** Waits for the workflow to end (after an abort, for its cancellation) and closes the connection. */
  close(): Promise<void>;
}

/** A workflow of the same pipeline that was still running when this run tried to start its own. */
export interface RunningWorkflow {
  readonly workflowId: string;
  readonly memo: WorkflowMemo;
  readonly startedAt: Date;
  /** Follows it as this run's workflow (the steps of this run's graph); Ctrl-C then cancels it. */
  attach(): TemporalRun;
  /** Waits until it has ended, however it ends; an abort stops the waiting and leaves it running. */
  finished(signal: AbortSignal): Promise<void>;
  /** Cancels it and waits until it has ended: its workers have stopped their steps. */
  cancel(): Promise<void>;
  /** Closes the connection (when not attached). */
  disconnect(): Promise<void>;
}

type Watch = Parameters<StepDispatch['follow']>[1];

interface Watcher {
  watch: Watch;
  progress?: string;
  resolve(outcome: StepOutcome): void;
  reject(error: Error): void;
}

/** How often starting meets a workflow that ends before it can be described, before giving up. */
const START_TRIES = 5;

/** Starts the run's workflow, or finds the one of the same pipeline that is still running. */
export async function openTemporalRun(o: TemporalRunOptions): Promise<{ run: TemporalRun } | { running: RunningWorkflow }> {
  const connection = await Connection.connect(connectionOptions(o.config, o.secrets));
  const client = new Client({ connection, namespace: o.config.namespace });
  try {
    for (let i = 0; i < START_TRIES; i++) {
      try {
        const handle = await client.workflow.start(WORKFLOW_NAME, {
          taskQueue: o.config.taskQueue,
          workflowId: o.workflowId,
          args: [o.graph],
          memo: { ...o.memo },
          // The running one is never replaced nor joined blindly: the CLI decides (running.ts).
          workflowIdConflictPolicy: 'FAIL',
        });
        return { run: followWorkflow(handle, connection, o) };
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      const described = await client.workflow.getHandle(o.workflowId).describe();
      // It ended in between: start again.
      if (described.status.name !== 'RUNNING') continue;
      const handle = client.workflow.getHandle(o.workflowId, described.runId);
      return {
        running: {
          workflowId: o.workflowId,
          memo: described.memo as unknown as WorkflowMemo,
          startedAt: described.startTime,
          attach: () => followWorkflow(handle, connection, o),
          // The long poll itself is aborted: left pending, it would hold the connection (and the CLI) until the workflow ends.
          finished: (signal) =>
            connection.withAbortSignal(signal, () => handle.result()).then(ignore, () => {
              if (signal.aborted) throw signal.reason;
            }),
          async cancel() {
            await handle.cancel();
            await handle.result().then(ignore, ignore);
          },
          disconnect: () => connection.close(),
        },
      };
    }
    throw new Error(`workflow ${o.workflowId} keeps ending and starting again; another CLI is running this pipeline`);
  } catch (error) {
    await connection.close();
    throw error;
  }
}

const ignore = () => undefined;

/** Watches a workflow on behalf of the local run, for the steps of `o.graph`. */
function followWorkflow(handle: WorkflowHandle, connection: Connection, o: TemporalRunOptions): TemporalRun {
  const workflowId = handle.workflowId;
  const ids = new Set(o.graph.steps.map((s) => s.id));
  const watchers = new Map<string, Watcher>();
  let states: Record<string, StepState> = {};
  let beats = new Map<string, Beat>();
  /** Set once the workflow has ended without a result (cancelled, terminated, failed). */
  let ended: Error | undefined;
  let finished = false;
  let cancelling: Promise<unknown> | undefined;
  const onAbort = () => (cancelling ??= handle.cancel());
  o.signal.addEventListener('abort', onAbort, { once: true });

  const deliver = (id: string, w: Watcher) => {
    const beat = beats.get(id);
    if (beat?.started) w.watch.started({ id, action: 'run', reasons: beat.started.reasons, key: beat.started.key });
    const progress = beat?.fraction === undefined ? undefined : `${beat.fraction} ${beat.message ?? ''}`;
    if (progress !== undefined && progress !== w.progress) {
      w.progress = progress;
      w.watch.progress(beat!.fraction!, beat!.message);
    }
    const state = states[id];
    if (state?.status === 'done') w.resolve(state.outcome);
    else if (state?.status === 'failed') w.reject(new Error(state.error));
    else if (state?.status === 'skipped') w.reject(new Error(`skipped by the workflow: ${state.reason}`));
    else if (ended) w.reject(ended);
  };

  const poll = async () => {
    const described = await handle.describe();
    const next = new Map<string, Beat>();
    for (const a of described.raw.pendingActivities ?? []) {
      const payload = a.heartbeatDetails?.payloads?.[0];
      if (a.activityId && payload) next.set(a.activityId, defaultPayloadConverter.fromPayload<Beat>(payload as Payload));
    }
    beats = next;
    if (described.status.name === 'RUNNING') states = (await handle.query<RunProgress>(PROGRESS_QUERY)).steps;
    else {
      finished = true;
      try {
        states = (await handle.result()).steps;
      } catch (error) {
        ended = new Error(`workflow ${workflowId} ${described.status.name.toLowerCase()}: ${(error as Error).message}`);
      }
    }
  };
  const watching = (async () => {
    let failingSince: number | undefined;
    let told = false;
    while (!finished) {
      // A query needs a worker to answer it; while none does, the last known state stands.
      const failure = await poll().then(
        () => undefined,
        (error: Error) => error,
      );
      if (!failure) {
        failingSince = undefined;
        told = false;
      } else if ((failingSince ??= Date.now()) < Date.now() - QUIET_FAILURES_MS && !told) {
        told = true;
        o.warn(`cannot follow workflow ${workflowId} for ${Math.round(QUIET_FAILURES_MS / 1000)} s (${failure.message}); still trying`);
      }
      for (const [id, w] of watchers) deliver(id, w);
      if (!finished) await sleep(POLL_MS);
    }
  })();

  return {
    workflowId,
    handles: (id) => ids.has(id),
    async follow(id, watch, signal): Promise<DispatchedStep> {
      const outcome = await new Promise<StepOutcome>((resolve, reject) => {
        const done = () => {
          watchers.delete(id);
          signal.removeEventListener('abort', aborted);
        };
        const aborted = () => (done(), reject(signal.reason as Error));
        const w: Watcher = { watch, resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(e)) };
        signal.addEventListener('abort', aborted, { once: true });
        watchers.set(id, w);
        deliver(id, w);
      });
      const record = await o.remote.recordOf(outcome.key);
      if (!record) throw new Error(`worker ${outcome.host} reported step \`${id}\` done, but remote ${o.remote.config.name} has no record ${outcome.key}`);
      return { record, status: outcome.status, reasons: outcome.reasons, reason: outcome.reason, host: outcome.host, ...(outcome.trackedHere ? {} : { track: (tracker: Tracker) => replayTracked(outcome.tracked, tracker, o.remote, o.store) }) };
    },
    async close() {
      o.signal.removeEventListener('abort', onAbort);
      try {
        await cancelling;
        await handle.result().catch((error: unknown) => {
          if (!cancelling) throw error;
        });
      } finally {
        finished = true;
        await watching;
        await connection.close();
      }
    },
  };
}
