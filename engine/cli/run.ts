/** `tradepipe run`: plan, take the project lock, execute, report. */
import { availableParallelism } from 'node:os';
import { execute, newRunId, type RunResult } from '../executor.ts';
import type { RunTracking } from '../tracking/sink.ts';
import { gitInfoLater, type GitInfo } from '../git.ts';
import { openSession } from '../cache-session.ts';
import { acquireLock } from '../lock.ts';
import { consoleReporter, summarize } from '../reporter.ts';
import { renderSummary } from '../summary.ts';
import { projectRelative } from '../project.ts';
import { load, checkStepNames, EXIT, Exit } from './common.ts';
import { planPipeline, planJson, planText } from './plan.ts';
import { print } from './output.ts';
import { openCliRemote } from './open-remote.ts';
import type { RemoteFlag } from './remote-command.ts';
import { formatBytes } from '../format.ts';

export interface RunFlags {
  jobs?: string;
  keepGoing?: boolean;
  from?: string;
  force: string[];
  dryRun?: boolean;
  json?: boolean;
  set: string[];
  resource: string[];
  verbose?: boolean;
  /** commander's `--no-track`. */
  track: boolean;
  remote: RemoteFlag;
  executor: 'local' | 'temporal';
  /** `--cancel-running`: cancel the pipeline's workflow still running (Temporal) rather than follow or wait for it. */
  cancelRunning?: boolean;
  /** Prometheus Pushgateway URL; else PROMETHEUS_PUSHGATEWAY_URL. */
  pushgateway?: string;
}

/** Tracking is on unless `--no-track` or TRADEPIPE_TRACKING=off. */
export function trackingEnabled(flag: boolean, env: NodeJS.ProcessEnv): boolean {
  return flag && env.TRADEPIPE_TRACKING !== 'off';
}

export async function runCommand(file: string, targets: string[], flags: RunFlags): Promise<number> {
  const pipeline = await load(file, flags.set);
  checkStepNames(pipeline, [...targets, flags.from, ...flags.force], 'run');
  if (flags.cancelRunning && flags.executor !== 'temporal') {
    process.stderr.write('error: --cancel-running: only with --executor temporal (it cancels the pipeline\'s workflow still running)\n');
    throw new Exit(EXIT.invalid);
  }
  const select = { targets, from: flags.from, force: flags.force };
  if (flags.dryRun) {
    const remote = await openCliRemote(pipeline.root, flags.remote, openSession(pipeline.root));
    const { order, decisions } = await planPipeline(pipeline, select, remote);
    await print(flags.json ? JSON.stringify({ pipeline: pipeline.name, dryRun: true, steps: planJson(order, decisions) }, null, 2) + '\n' : planText(order, decisions) + '\n');
    return EXIT.ok;
  }
  const jobs = flags.jobs === undefined ? availableParallelism() : Number(flags.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    process.stderr.write(`error: --jobs: expected a positive integer, got \`${flags.jobs}\`\n`);
    throw new Exit(EXIT.invalid);
  }
  const resources = parseResources(flags.resource);

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(EXIT.cancelled);
    process.stderr.write('\ncancelling: stopping running steps (Ctrl-C again to exit at once)\n');
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  // Asked while the session, remote and lock open.
  const gitAnswer = trackingEnabled(flags.track, process.env) ? gitInfoLater(pipeline.root) : undefined;
  const session = openSession(pipeline.root);
  const remote = await openCliRemote(pipeline.root, flags.remote, session, { jobs, signal: controller.signal });
  const lock = await acquireLock(session.paths.store, session.paths.lock, (m) => process.stderr.write(`${m}\n`), controller.signal);
  const reporter = consoleReporter(process.stderr, { quiet: flags.json, verbose: flags.verbose });
  const t0 = performance.now();
  const runId = newRunId();
  const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
  let tracking: RunTracking | undefined;
  let trackingWarnings: string[] = [];
  let git: GitInfo | undefined;
  let result: RunResult;
  try {
    if (gitAnswer) {
      const { openTracking } = await import('../tracking/sink.ts');
      tracking = await openTracking({ store: session.store, env: process.env, log: { warn } });
      git = await gitAnswer;
      tracking.start({ localRunId: runId, pipeline: pipeline.name, file: projectRelative(pipeline.root, pipeline.file), gitCommit: git.commit, gitDirty: git.dirty, startedAt: Date.now() });
    }
    const keepGoing = flags.keepGoing === true;
    const temporal =
      flags.executor === 'temporal' ? await (await import('./temporal.ts')).openTemporal(pipeline, remote, select, { runId, overrides: flags.set, jobs, resources, keepGoing, track: tracking !== undefined, cancelRunning: flags.cancelRunning === true, store: session.store, signal: controller.signal, tracking }) : undefined;
    // With a workflow, the workflow applies --jobs and --resource; this run only follows its steps.
    const here = temporal ? { jobs: Math.max(jobs, pipeline.order.length), resources: undefined } : { jobs, resources };
    try {
      const shipRun = async (status: RunResult['status']) => {
        ({ warnings: trackingWarnings } = await tracking!.finish(status === 'succeeded' ? 'FINISHED' : status === 'cancelled' ? 'KILLED' : 'FAILED'));
      };
      result = await execute(pipeline, session, { ...select, ...here, keepGoing, signal: controller.signal, env: process.env, runId, tracking, git, remote, dispatch: temporal, ...(tracking ? { afterSteps: shipRun } : {}) }, reporter);
    } finally {
      await temporal?.close();
    }
    if (remote) {
      const shared = await remote.flush();
      if (shared.objects + shared.records > 0) process.stderr.write(`remote ${remote.config.name}: uploaded ${shared.objects} objects (${formatBytes(shared.bytes)}), ${shared.records} records\n`);
      for (const f of shared.failures) warn(`remote ${remote.config.name}: could not share ${f}`);
    }
    for (const w of trackingWarnings) warn(w);
  } finally {
    reporter.close();
    await lock.release();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  const gateway = flags.pushgateway ?? process.env.PROMETHEUS_PUSHGATEWAY_URL;
  if (gateway) {
    const { pushPipelineMetrics } = await import('./metrics.ts');
    // Monitoring trouble never changes the run's outcome: warn and carry on.
    await pushPipelineMetrics(pipeline.root, gateway, projectRelative(pipeline.root, pipeline.file)).catch((error: Error) => warn(error.message));
  }
  if (flags.json) await print(JSON.stringify(result, null, 2) + '\n');
  else {
    process.stderr.write(summarize(result, performance.now() - t0) + '\n');
    if (pipeline.summary.length > 0) {
      const view = session.view(projectRelative(pipeline.root, pipeline.file));
      const text = await renderSummary(pipeline.summary, (id) => view.latest(id), session);
      if (text) await print(`\n${text}\n`);
    }
  }
  return result.status === 'succeeded' ? EXIT.ok : result.status === 'cancelled' ? EXIT.cancelled : EXIT.failed;
}

function parseResources(specs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of specs) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)=(\d+)$/.exec(spec);
    if (!m) {
      process.stderr.write(`error: --resource: expected \`name=count\`, got \`${spec}\`\n`);
      throw new Exit(EXIT.invalid);
    }
    out[m[1]!] = Number(m[2]);
  }
  return out;
}
