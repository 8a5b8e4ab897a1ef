/**
 * The Temporal workflow of one pipeline run: it owns the schedule. A step starts as an
 * activity once its upstream steps are done, up to `jobs` at a time and within the
 * resource capacities (the rules of the local scheduler, engine/scheduler.ts), on the
 * task queue of its resource tags. Each activity re-plans its step on a worker with the
 * real output keys of its upstream steps, so early cutoff holds. A failed step skips its
 * dependents; without keep-going it cancels the running steps and starts no new ones.
 * The run goes on without the CLI that started it: the CLI only watches (the progress query).
 * Cancelling the workflow cancels the running activities and waits until the workers
 * have stopped them.
 *
 * Runs in Temporal's deterministic sandbox: imports only @temporalio/workflow and plain data.
 */
import { ActivityCancellationType, ActivityFailure, CancellationScope, condition, defineQuery, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import { BACKOFF, INITIAL_INTERVAL_MS, MAX_INTERVAL_MS } from '../retry.ts';
import { HEARTBEAT_TIMEOUT_S, NON_RETRYABLE, PROGRESS_QUERY, type GraphStep, type RunGraph, type RunProgress, type StepOutcome, type StepState, type StepTask } from './protocol.ts';

interface Activities {
  executeStep(task: StepTask): Promise<StepOutcome>;
}

export const progress = defineQuery<RunProgress>(PROGRESS_QUERY);

export async function pipelineRun(graph: RunGraph): Promise<RunProgress> {
  const steps: Record<string, StepState> = {};
  for (const s of graph.steps) steps[s.id] = { status: 'pending' };
  setHandler(progress, () => ({ steps }));

  const dependents = new Map<string, string[]>();
  for (const s of graph.steps) for (const up of s.needs) dependents.set(up, [...(dependents.get(up) ?? []), s.id]);
  const waiting = new Map(graph.steps.map((s) => [s.id, s.needs.length]));
  const ready = graph.steps.filter((s) => s.needs.length === 0);
  const byId = new Map(graph.steps.map((s) => [s.id, s]));
  const keys = new Map<string, string>();
  const inUse = new Map<string, number>();
  // Cancelled with the workflow (a child of the root scope), or on a failure without keep-going.
  const activities = new CancellationScope();
  let running = 0;
  let settled = 0;
  let stopping = false;

  const settle = (id: string, state: StepState) => {
    steps[id] = state;
    settled++;
    for (const next of dependents.get(id) ?? []) {
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(byId.get(next)!);
    }
  };
  const fits = (s: GraphStep) => Object.entries(s.resources).every(([r, n]) => (inUse.get(r) ?? 0) + n <= Math.max(graph.resources[r] ?? 1, n));
  const hold = (s: GraphStep, sign: 1 | -1) => {
    for (const [r, n] of Object.entries(s.resources)) inUse.set(r, (inUse.get(r) ?? 0) + sign * n);
  };

  const start = (s: GraphStep) => {
    running++;
    hold(s, 1);
    steps[s.id] = { status: 'running' };
    const upstream = { ...s.done };
    for (const up of s.needs) upstream[up] = keys.get(up)!;
    const task: StepTask = { runId: graph.runId, pipeline: graph.pipeline, overrides: graph.overrides, stepId: s.id, upstream, forced: s.forced, track: graph.track, ...(s.key ? { key: s.key } : {}) };
    const { executeStep } = proxyActivities<Activities>({
      // The step id: the CLI finds the step's heartbeat (its progress) by it.
      activityId: s.id,
      taskQueue: s.taskQueue,
      startToCloseTimeout: '7 days',
      heartbeatTimeout: `${HEARTBEAT_TIMEOUT_S}s`,
      retry: { maximumAttempts: s.maxAttempts, initialInterval: INITIAL_INTERVAL_MS, backoffCoefficient: BACKOFF, maximumInterval: MAX_INTERVAL_MS, nonRetryableErrorTypes: NON_RETRYABLE },
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    void activities
      .run(() => executeStep(task))
      .then(
        (outcome) => {
          keys.set(s.id, outcome.key);
          settle(s.id, { status: 'done', outcome });
        },
        (error: unknown) => {
          if (isCancellation(error)) return settle(s.id, { status: 'skipped', reason: 'cancelled' });
          settle(s.id, { status: 'failed', error: messageOf(error) });
          if (!graph.keepGoing && !stopping) {
            stopping = true;
            activities.cancel();
          }
        },
      )
      .finally(() => {
        running--;
        hold(s, -1);
      });
  };

  /** Starts every ready step that fits; skips those that can no longer run. */
  const pump = () => {
    for (let i = 0; i < ready.length; ) {
      const s = ready[i]!;
      const blockedBy = s.needs.filter((up) => steps[up]!.status !== 'done');
      if (stopping || blockedBy.length > 0) {
        ready.splice(i, 1);
        const reason = blockedBy.length > 0 ? `upstream ${blockedBy.map((b) => `\`${b}\``).join(', ')} did not complete` : 'not started: another step failed';
        settle(s.id, { status: 'skipped', reason });
        continue;
      }
      if (running >= graph.jobs || !fits(s)) {
        i++;
        continue;
      }
      ready.splice(i, 1);
      start(s);
    }
  };

  try {
    while (settled < graph.steps.length) {
      pump();
      const before = settled;
      if (settled < graph.steps.length) await condition(() => settled !== before);
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelled: the run ends only once every worker has stopped its step.
    await CancellationScope.nonCancellable(() => condition(() => running === 0));
    throw error;
  }
  return { steps };
}

function messageOf(error: unknown): string {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  return (cause ?? (error as Error)).message;
}
