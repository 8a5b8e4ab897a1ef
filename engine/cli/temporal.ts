/** `run --executor temporal` and `tradepipe worker`: the CLI ends of engine/temporal. */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { InvalidInput } from '../errors.ts';
import type { Pipeline } from '../pipeline.ts';
import { projectRelative } from '../project.ts';
import type { RemoteCache } from '../remote/cache.ts';
import { openSecrets } from '../secrets.ts';
import { cliTaskQueueOf, loadTemporalConfig, taskQueueFor, type TemporalConfig } from '../temporal/config.ts';
import { openTemporalRun, type TemporalRun } from '../temporal/dispatch.ts';
import { compareWithRunning, memoOf, stepDefinition, workflowIdFor, type WorkflowMemo } from '../temporal/running.ts';
import type { RunTrackingHooks } from '../step-runner.ts';
import type { Diagnostic } from '../errors.ts';
import type { GraphStep, RunGraph } from '../temporal/protocol.ts';
import { selectSteps, type SelectOptions } from '../select.ts';
import type { RunRecord } from '../records.ts';
import type { Store } from '../store.ts';
import { DEFAULT_CLUSTER_RETRIES } from '../retry.ts';
import { planPipeline } from './plan.ts';
import { connectionOptions } from '../temporal/connect.ts';
import { EXIT, Exit, printDiagnostics, printInvalid } from './common.ts';
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

export interface TemporalRunFlags {
  runId: string;
  overrides: string[];
  jobs: number;
  resources: Record<string, number>;
  keepGoing: boolean;
  track: boolean;
  /** `--cancel-running`: cancel the pipeline's workflow still running, rather than follow or wait for it. */
  cancelRunning: boolean;
  /** The run's store: tracked artifacts from workers land there. */
  store: Store;
  /** The user's abort (Ctrl-C): cancels the workflow. */
  signal: AbortSignal;
  /** The run's tracking: the steps that use the model registry run in this process, tracked into it. */
  tracking: RunTrackingHooks | undefined;
}

/**
 * Plans the run and starts its workflow with the steps that must execute (and those
 * downstream of them, which may still turn out cached); undefined when every step is
 * cached, so a rerun with nothing changed starts no workflow at all. When the pipeline's
 * workflow is still running (the CLI that started it died, or a teammate runs it), the run
 * follows it if it schedules the same steps, and otherwise waits for it to end (or, with
 * `--cancel-running`, cancels it) and plans again: what it completed is cached by then.
 */
export async function openTemporal(pipeline: Pipeline, remote: RemoteCache | undefined, select: SelectOptions, o: TemporalRunFlags): Promise<TemporalRun | undefined> {
  if (!remote) needRemote();
  const cfg = config(pipeline.root);
  const file = projectRelative(pipeline.root, pipeline.file);
  const workflowId = workflowIdFor(remote.config.url, file, pipeline.name);
  for (;;) {
    const graph = await planGraph(pipeline, remote, select, cfg, workflowId, o);
    if (graph.steps.length === 0) return undefined;
    const definitions = new Map(graph.steps.map((s) => [s.id, stepDefinition(pipeline.steps.get(s.id)!)]));
    let opened: Awaited<ReturnType<typeof openTemporalRun>>;
    const memo = memoOf(graph, hostname(), definitions);
    try {
      opened = await openTemporalRun({ config: cfg, secrets: openSecrets(pipeline.root, process.env), remote, store: o.store, graph, workflowId, memo, signal: o.signal, warn: (m) => process.stderr.write(`warning: ${m}\n`) });
    } catch (error) {
      process.stderr.write(`error: cannot reach Temporal at ${cfg.address}: ${(error as Error).message}\n`);
      throw new Exit(EXIT.failed);
    }
    if ('run' in opened) {
      process.stderr.write(`temporal: workflow ${workflowId} schedules ${count(graph.steps.length)} at ${cfg.address}\n`);
      return serving(opened.run, memo, pipeline, remote, cfg, o);
    }
    const running = opened.running;
    const verdict = compareWithRunning(running.memo, graph, definitions);
    const which = `workflow ${workflowId} (run ${running.memo.runId}, started ${running.startedAt.toISOString()} on ${running.memo.host})`;
    if (verdict.action === 'attach' && !o.cancelRunning) {
      process.stderr.write(`temporal: ${which} is still running this pipeline; following it for ${count(graph.steps.length)}\n`);
      return serving(running.attach(), running.memo, pipeline, remote, cfg, o);
    }
    try {
      if (o.cancelRunning) {
        process.stderr.write(`temporal: cancelling ${which}, still running this pipeline (--cancel-running)\n`);
        await running.cancel();
      } else {
        if (verdict.action === 'wait' && verdict.changed.length > 0) printDiagnostics([outdated(which, verdict.changed)]);
        else if (verdict.action === 'wait') process.stderr.write(`temporal: ${which} is still running part of this run (not ${stepList(verdict.missing)}); waiting for it to end, then planning again\n`);
        await running.finished(o.signal);
        process.stderr.write(`temporal: workflow ${workflowId} ended; planning again\n`);
      }
    } catch (error) {
      if (!o.signal.aborted) throw error;
      process.stderr.write(`temporal: stopped waiting; ${which} goes on (cancel it with --cancel-running)\n`);
      throw new Exit(EXIT.cancelled);
    } finally {
      await running.disconnect();
    }
  }
}

/**
 * The run, with this process serving the workflow's CLI task queue while it follows it, when
 * the workflow schedules a step that uses the model registry (its own, or one it attached to
 * whose CLI died: such a step waits in the queue until a CLI serves it).
 */
async function serving(run: TemporalRun, memo: WorkflowMemo, pipeline: Pipeline, remote: RemoteCache, cfg: TemporalConfig, o: TemporalRunFlags): Promise<TemporalRun> {
  if (!Object.keys(memo.steps).some((id) => pipeline.steps.get(id)?.plugin.plugin.registry === true)) return run;
  const { serveCliQueue } = await import('../temporal/cli-worker.ts');
  const served = await serveCliQueue({
    config: cfg,
    secrets: openSecrets(pipeline.root, process.env),
    taskQueue: cliTaskQueueOf(run.workflowId),
    root: pipeline.root,
    concurrency: o.jobs,
    tracking: o.tracking,
    openRemote: async (session, signal) => (await openCliRemote(pipeline.root, remote.config.name, session, { signal })) ?? needRemote(),
    log: (line) => process.stderr.write(`${line}\n`),
  }).catch((error: Error) => {
    process.stderr.write(`error: cannot serve task queue ${cliTaskQueueOf(run.workflowId)} for the steps that use the model registry: ${error.message}\n`);
    // The workflow keeps them waiting in the queue; a rerun attaches to it and serves them.
    throw new Exit(EXIT.failed);
  });
  return {
    ...run,
    async close() {
      try {
        await run.close();
      } finally {
        await served.stop();
      }
    },
  };
}

function outdated(which: string, changed: readonly string[]): Diagnostic {
  return {
    code: 'running-workflow-changed',
    severity: 'warning',
    message: `${which} runs another version of ${stepList(changed)}: the pipeline changed since it started. Waiting for it to end, then planning again (what it completes stays cached); Ctrl-C stops waiting and leaves it running, \`--cancel-running\` cancels it first`,
  };
}

const count = (n: number) => `${n} step${n === 1 ? '' : 's'}`;
const stepList = (ids: readonly string[]) => `step${ids.length === 1 ? '' : 's'} ${ids.map((id) => `\`${id}\``).join(', ')}`;

/** The workflow's input from the pure plan; the records of cached steps it builds on are shared first, for the workers to find. */
async function planGraph(pipeline: Pipeline, remote: RemoteCache, select: SelectOptions, cfg: TemporalConfig, workflowId: string, o: TemporalRunFlags): Promise<RunGraph> {
  const { order, decisions } = await planPipeline(pipeline, select, remote);
  const { forced } = selectSteps(pipeline, select);
  const selected = new Set(order);
  const execute = new Set(order.filter((id) => decisions.get(id)!.action === 'run'));
  const building = new Map<string, RunRecord>();
  const steps = [...execute].map((id): GraphStep => {
    const step = pipeline.steps.get(id)!;
    const upstream = pipeline.graph.inNeighbors(id).filter((u) => selected.has(u));
    const done: Record<string, string> = {};
    for (const u of upstream.filter((u) => !execute.has(u))) {
      const record = decisions.get(u)!.record!;
      done[u] = record.key;
      building.set(record.key, record);
    }
    const key = decisions.get(id)!.key;
    return {
      id,
      needs: upstream.filter((u) => execute.has(u)),
      done,
      // A step that uses the model registry runs in the CLI, which holds the run's tracking.
      taskQueue: step.plugin.plugin.registry ? cliTaskQueueOf(workflowId) : taskQueueFor(cfg, step.resources),
      resources: { ...step.resources },
      forced: forced.has(id),
      maxAttempts: (step.retries ?? DEFAULT_CLUSTER_RETRIES) + 1,
      ...(key ? { key } : {}),
    };
  });
  for (const record of building.values()) if (!(await remote.recordOf(record.key))) remote.executed(record);
  const shared = await remote.flush();
  if (shared.failures.length > 0) {
    process.stderr.write(`error: remote ${remote.config.name}: the workers need records this machine could not share: ${shared.failures.join('; ')}\n`);
    throw new Exit(EXIT.failed);
  }
  return { runId: o.runId, pipeline: projectRelative(pipeline.root, pipeline.file), overrides: o.overrides, jobs: o.jobs, resources: o.resources, keepGoing: o.keepGoing, track: o.track, steps };
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
  const [{ NativeConnection, Worker }, { stepActivities }] = await Promise.all([import('@temporalio/worker'), import('../temporal/activities.ts')]);
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
    // Heartbeats carry `ctx.progress` to the CLI: send them about every second, not every 4 s (0.8 of the timeout).
    maxHeartbeatThrottleInterval: '1s',
    // The dev server reports a dead worker's activity after the heartbeat timeout; a stopping worker gives its steps this long to die.
    shutdownGraceTime: '10s',
  });
  process.stderr.write(`worker ${hostname()} (pid ${process.pid}): polling ${taskQueue} at ${cfg.address}, ${concurrency} at a time\n`);
  await worker.run();
  await connection.close();
  return EXIT.ok;
}
