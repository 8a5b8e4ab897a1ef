/**
 * The CLI's side of `run --executor temporal`: one workflow per pipeline run, started on
 * the first step that must execute (a run where everything is cached starts nothing).
 * Each such step is sent to the workflow as an update and resolves with its record from
 * the remote once a worker has executed it. Aborting the run cancels the workflow, which
 * cancels the running activities and waits until the workers have stopped them.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Step } from '../pipeline-model.ts';
import type { Decision } from '../planner.ts';
import type { RemoteCache } from '../remote/cache.ts';
import type { RunRecord } from '../records.ts';
import type { Secrets } from '../secrets.ts';
import { taskQueueFor, type TemporalConfig } from './config.ts';
import { connectionOptions } from './connect.ts';
import { FINISH_SIGNAL, RUN_STEP_UPDATE, type StepOutcome, type StepTask, WORKFLOW_NAME } from './protocol.ts';

export interface TemporalRunOptions {
  config: TemporalConfig;
  secrets: Secrets;
  remote: RemoteCache;
  runId: string;
  pipeline: string;
  overrides: string[];
  forced: ReadonlySet<string>;
  signal: AbortSignal;
  /** Where each step ran, for the progress lines. */
  ranOn(stepId: string, outcome: StepOutcome): void;
}

export interface TemporalRun {
  dispatch(step: Step, decision: Decision, upstream: ReadonlyMap<string, RunRecord>): Promise<{ record: RunRecord; host: string }>;
  /** Completes the workflow (or, after an abort, waits for its cancellation) and closes the connection. */
  close(): Promise<void>;
}

export async function openTemporalRun(o: TemporalRunOptions): Promise<TemporalRun> {
  const connection = await Connection.connect(connectionOptions(o.config, o.secrets));
  const client = new Client({ connection, namespace: o.config.namespace });
  const workflowId = `tradepipe-${o.runId}`;
  let started: Promise<WorkflowHandle> | undefined;
  let cancelling: Promise<unknown> | undefined;
  const start = () =>
    (started ??= client.workflow.start(WORKFLOW_NAME, { taskQueue: o.config.taskQueue, workflowId, memo: { pipeline: o.pipeline } }));
  const onAbort = () => {
    if (started) cancelling = started.then((h) => h.cancel());
  };
  o.signal.addEventListener('abort', onAbort, { once: true });

  return {
    async dispatch(step, decision, upstream) {
      const task: StepTask = {
        pipeline: o.pipeline,
        overrides: o.overrides,
        stepId: step.id,
        upstream: Object.fromEntries([...upstream].map(([id, r]) => [id, r.key])),
        key: decision.key!,
        forced: o.forced.has(step.id),
        runId: o.runId,
        taskQueue: taskQueueFor(o.config, step.resources),
      };
      const handle = await start();
      if (o.signal.aborted) onAbort();
      const outcome = await handle.executeUpdate<StepOutcome, [StepTask]>(RUN_STEP_UPDATE, { args: [task] });
      o.ranOn(step.id, outcome);
      const record = await o.remote.recordOf(outcome.key);
      if (!record) throw new Error(`worker ${outcome.host} reported step \`${step.id}\` done, but remote ${o.remote.config.name} has no record ${outcome.key}`);
      return { record, host: outcome.host };
    },
    async close() {
      o.signal.removeEventListener('abort', onAbort);
      try {
        if (started) {
          const handle = await started;
          if (cancelling) await cancelling;
          else await handle.signal(FINISH_SIGNAL);
          await handle.result().catch((error: unknown) => {
            if (!cancelling) throw error;
          });
        }
      } finally {
        await connection.close();
      }
    },
  };
}
