/**
 * The CLI's side of `run --executor temporal`: it starts one workflow per run with the
 * graph of steps to consider, then only watches. The workflow schedules; the CLI polls
 * its progress query (each step's state and outcome) and the server's description of it
 * (the running activities' heartbeats: whether a plugin started, and its `ctx.progress`),
 * and hands each step's outcome to the local run, which fetches and verifies its outputs.
 * Aborting the run (Ctrl-C) cancels the workflow, which cancels the running activities and
 * waits until the workers have stopped them. If the CLI dies, the workflow carries on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { RemoteCache } from '../remote/cache.ts';
import type { Secrets } from '../secrets.ts';
import type { DispatchedStep, StepDispatch } from '../step-runner.ts';
import type { Store } from '../store.ts';
import type { TemporalConfig } from './config.ts';
import { connectionOptions } from './connect.ts';
import { type Beat, PROGRESS_QUERY, type RunGraph, type RunProgress, type StepOutcome, type StepState, WORKFLOW_NAME } from './protocol.ts';
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
  /** The user's abort (Ctrl-C): cancels the workflow. */
  signal: AbortSignal;
  warn(message: string): void;
}

export interface TemporalRun extends StepDispatch {
  readonly workflowId: string;
  /** Waits for the workflow to end (after an abort, for its cancellation) and closes the connection. */
  close(): Promise<void>;
}

type Watch = Parameters<StepDispatch['follow']>[1];

interface Watcher {
  watch: Watch;
  progress?: string;
  resolve(outcome: StepOutcome): void;
  reject(error: Error): void;
}

export async function startTemporalRun(o: TemporalRunOptions): Promise<TemporalRun> {
  const connection = await Connection.connect(connectionOptions(o.config, o.secrets));
  const client = new Client({ connection, namespace: o.config.namespace });
  const workflowId = `tradepipe-${o.graph.runId}`;
  const handle = await client.workflow.start(WORKFLOW_NAME, { taskQueue: o.config.taskQueue, workflowId, args: [o.graph], memo: { pipeline: o.graph.pipeline } });
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
      return { record, status: outcome.status, reasons: outcome.reasons, reason: outcome.reason, host: outcome.host, track: (tracker) => replayTracked(outcome.tracked, tracker, o.remote, o.store) };
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
