/**
 * The CLI's own worker. Steps that use the run's model registry (`registry: true` plugins)
 * need the tracking target that only the CLI holds, so the workflow schedules them, like
 * any step, on a task queue that the CLI following the run serves itself, for as long as
 * it follows it. The activity is a worker's (activities.ts): the same StepRunner path, the
 * remote as the exchange; only its tracking is the run's own, which gives it `ctx.registry`.
 * Without a CLI the step waits in the queue (no schedule-to-start timeout) until one
 * attaches to the workflow again.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Secrets } from '../secrets.ts';
import type { RunTrackingHooks } from '../step-runner.ts';
import { stepActivities, type WorkerEnvironment } from './activities.ts';
import type { TemporalConfig } from './config.ts';
import { connectionOptions } from './connect.ts';

export interface CliQueueOptions {
  config: TemporalConfig;
  secrets: Secrets;
  taskQueue: string;
  root: string;
  /** At most this many of the queue's steps at once (the run's `--jobs`). */
  concurrency: number;
  tracking: RunTrackingHooks | undefined;
  openRemote: WorkerEnvironment['openRemote'];
  log(line: string): void;
}

export interface ServedQueue {
  /** Stops polling once the running steps are done (the workflow has ended by then). */
  stop(): Promise<void>;
}

let runtimeInstalled = false;

export async function serveCliQueue(o: CliQueueOptions): Promise<ServedQueue> {
  if (!runtimeInstalled) {
    // The CLI handles Ctrl-C itself (it cancels the workflow); the SDK's default would shut the worker down first.
    Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect(connectionOptions(o.config, o.secrets));
  try {
    const worker = await Worker.create({
      connection,
      namespace: o.config.namespace,
      taskQueue: o.taskQueue,
      activities: stepActivities({ root: o.root, env: process.env, log: o.log, openRemote: o.openRemote, tracking: o.tracking }),
      maxConcurrentActivityTaskExecutions: o.concurrency,
      maxHeartbeatThrottleInterval: '1s',
      shutdownGraceTime: '10s',
    });
    const running = worker.run().catch((error: Error) => o.log(`warning: stopped serving ${o.taskQueue}: ${error.message}`));
    return {
      async stop() {
        worker.shutdown();
        await running;
        await connection.close();
      },
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
