/**
 * The Temporal workflow of one pipeline run. The CLI plans and orders the steps (the
 * scheduler and planner of a local run); each step that must execute arrives as an
 * update and runs as an activity on its task queue, retried on another worker when the
 * one running it stops heartbeating. Cancelling the workflow cancels running activities
 * and waits until the workers have stopped them.
 *
 * Runs in Temporal's deterministic sandbox: imports only @temporalio/workflow and plain data.
 */
import { ActivityCancellationType, allHandlersFinished, CancellationScope, condition, defineSignal, defineUpdate, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import { FINISH_SIGNAL, HEARTBEAT_TIMEOUT_S, MAX_ATTEMPTS, RUN_STEP_UPDATE, type StepOutcome, type StepTask } from './protocol.ts';

interface Activities {
  executeStep(task: StepTask): Promise<StepOutcome>;
}

export const runStep = defineUpdate<StepOutcome, [StepTask]>(RUN_STEP_UPDATE);
export const finish = defineSignal(FINISH_SIGNAL);

export async function pipelineRun(): Promise<void> {
  let finished = false;
  setHandler(finish, () => {
    finished = true;
  });
  setHandler(runStep, (task) => {
    const { executeStep } = proxyActivities<Activities>({
      taskQueue: task.taskQueue,
      startToCloseTimeout: '7 days',
      heartbeatTimeout: `${HEARTBEAT_TIMEOUT_S}s`,
      retry: { maximumAttempts: MAX_ATTEMPTS, initialInterval: '1s', nonRetryableErrorTypes: ['KeyMismatch', 'InvalidPipeline'] },
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    return executeStep(task);
  });
  try {
    await condition(() => finished);
  } catch (error) {
    // Cancelled: the run ends only once every worker has stopped its step.
    if (isCancellation(error)) await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    throw error;
  }
}
