/** `run --executor temporal` and `tradepipe worker`: the CLI ends of engine/temporal. */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { InvalidInput } from '../errors.ts';
import type { Pipeline } from '../pipeline.ts';
import { projectRelative } from '../project.ts';
import type { RemoteCache } from '../remote/cache.ts';
import type { Reporter } from '../reporter.ts';
import { openSecrets } from '../secrets.ts';
import { loadTemporalConfig, type TemporalConfig } from '../temporal/config.ts';
import { openTemporalRun, type TemporalRun } from '../temporal/dispatch.ts';
import { connectionOptions } from '../temporal/connect.ts';
import { stepActivities } from '../temporal/activities.ts';
import { EXIT, Exit, printInvalid } from './common.ts';
import { projectHere } from './remote.ts';
import { openCliRemote } from './open-remote.ts';
import { openSession } from '../cache-session.ts';

function config(root: string): TemporalConfig {
  try {
    return loadTemporalConfig(root, process.env);
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    printInvalid(error);
    throw new Exit(EXIT.invalid);
  }
}

function needRemote(): never {
  process.stderr.write('error: --executor temporal needs a remote in tradepipe.yaml (`remote:`): workers exchange outputs through it\n');
  throw new Exit(EXIT.invalid);
}

export async function openTemporal(
  pipeline: Pipeline,
  remote: RemoteCache | undefined,
  o: { runId: string; overrides: string[]; forced: ReadonlySet<string>; signal: AbortSignal; reporter: Reporter },
): Promise<TemporalRun> {
  if (!remote) needRemote();
  const cfg = config(pipeline.root);
  try {
    return await openTemporalRun({
      config: cfg,
      secrets: openSecrets(pipeline.root, process.env),
      remote,
      runId: o.runId,
      pipeline: projectRelative(pipeline.root, pipeline.file),
      overrides: o.overrides,
      forced: o.forced,
      signal: o.signal,
      ranOn: (id, outcome) => o.reporter.stepLog(id, 'info', `${outcome.status} on worker ${outcome.host}`),
    });
  } catch (error) {
    process.stderr.write(`error: cannot reach Temporal at ${cfg.address}: ${(error as Error).message}\n`);
    throw new Exit(EXIT.failed);
  }
}

export interface WorkerFlags {
  taskQueue?: string;
  concurrency?: string;
}

/** Polls a task queue for steps until Ctrl-C; running steps are cancelled (their processes killed) on the way out. */
export async function workerCommand(flags: WorkerFlags): Promise<number> {
  const root = projectHere();
  const cfg = config(root);
  const concurrency = flags.concurrency === undefined ? 1 : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    process.stderr.write(`error: --concurrency: expected a positive integer, got \`${flags.concurrency}\`\n`);
    throw new Exit(EXIT.invalid);
  }
  if (!(await openCliRemote(root, undefined, openSession(root)))) needRemote();
  const { NativeConnection, Worker } = await import('@temporalio/worker');
  const connection = await NativeConnection.connect(connectionOptions(cfg, openSecrets(root, process.env)));
  const taskQueue = flags.taskQueue ?? cfg.taskQueue;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const worker = await Worker.create({
    connection,
    namespace: cfg.namespace,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../temporal/workflow.ts', import.meta.url)),
    activities: stepActivities({
      root,
      env: process.env,
      log,
      openRemote: async (session, signal) => (await openCliRemote(root, undefined, session, { signal })) ?? needRemote(),
    }),
    maxConcurrentActivityTaskExecutions: concurrency,
    // The dev server reports a dead worker's activity after the heartbeat timeout; a stopping worker gives its steps this long to die.
    shutdownGraceTime: '10s',
  });
  process.stderr.write(`worker ${hostname()} (pid ${process.pid}): polling ${taskQueue} at ${cfg.address}, ${concurrency} at a time\n`);
  await worker.run();
  await connection.close();
  return EXIT.ok;
}
