/** `tradepipe push` / `pull`, `gc --remote`, and the `--remote <name>` / `--no-remote` flags of run and status. */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openSession, type Session } from '../cache-session.ts';
import { acquireLock } from '../lock.ts';
import { findProjectRoot, projectRelative } from '../project.ts';
import { formatBytes } from '../format.ts';
import { selectSteps } from '../select.ts';
import type { RunRecord } from '../records.ts';
import type { RemoteConfig } from '../remote/config.ts';
import { openBackend } from '../remote/backend.ts';
import { push, pull, type SyncReport } from '../remote/sync.ts';
import { transferProgress } from '../remote/progress.ts';
import { collectRemoteGarbage } from '../remote/gc.ts';
import { checkStepNames, EXIT, Exit, load } from './common.ts';
import { planPipeline } from './plan.ts';
import { gcRoots } from './gc.ts';

import { DEFAULT_JOBS, type RemoteFlag } from './remote-command.ts';
import { chosen, openCliRemote, signingKey, warn } from './open-remote.ts';

export { addRemoteOptions, type RemoteFlag } from './remote-command.ts';

function requireRemote(root: string, flag: RemoteFlag, command: string): RemoteConfig {
  const config = chosen(root, flag);
  if (config) return config;
  process.stderr.write(
    `error: ${command}: no remote: ${flag === false ? '--no-remote given' : `add a \`remote:\` section to ${join(root, 'tradepipe.yaml')}`}\n`,
  );
  throw new Exit(EXIT.invalid);
}

function parseJobs(value: string | undefined): number {
  const jobs = value === undefined ? DEFAULT_JOBS : Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) {
    process.stderr.write(`error: --jobs: expected a positive integer, got \`${value}\`\n`);
    throw new Exit(EXIT.invalid);
  }
  return jobs;
}

function parseKeep(value: string): number {
  const keep = Number(value);
  if (!Number.isInteger(keep) || keep < 0) {
    process.stderr.write(`error: --keep: expected a non-negative integer, got \`${value}\`\n`);
    throw new Exit(EXIT.invalid);
  }
  return keep;
}

/** The project a command without a pipeline file works on: the one around the working directory. */
export function projectHere(): string {
  const abs = resolve('.');
  return findProjectRoot(statSync(abs).isDirectory() ? join(abs, 'pipeline.yaml') : abs);
}

export interface SyncFlags {
  jobs?: string;
  remote: RemoteFlag;
  keep: string;
}

function printReport(verb: 'push to' | 'pull from', config: RemoteConfig, r: SyncReport, timing: { seconds: number; bytes: number }): number {
  const moved = verb === 'push to' ? 'sent' : 'received';
  const rate = timing.seconds > 0 ? `, ${formatBytes(timing.bytes / timing.seconds)}/s` : '';
  process.stderr.write(
    `${verb} ${config.name} (${config.url}): ${r.objects} objects ${moved} (${formatBytes(r.bytes)}), ${r.objectsPresent} already there; ` +
      `${r.records} records ${verb === 'push to' ? 'written' : 'added'}, ${r.recordsPresent} already there; ${timing.seconds.toFixed(1)} s${rate}\n`,
  );
  for (const f of r.failures) process.stderr.write(`error: ${f}\n`);
  return r.failures.length > 0 ? EXIT.failed : EXIT.ok;
}

async function withLock<T>(session: Session, body: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(session.paths.store, session.paths.lock, (m) => process.stderr.write(`${m}\n`));
  try {
    return await body();
  } finally {
    // Records a pull wrote become durable, and their journal goes, while the lock is held.
    await session.records.flush();
    await lock.release();
  }
}

/** What push and pull share: flags checked, the project (a pipeline's, or the one here), its remote. */
async function prepareSync(file: string | undefined, steps: string[], flags: SyncFlags, command: 'push' | 'pull') {
  const jobs = parseJobs(flags.jobs);
  const keep = parseKeep(flags.keep);
  const pipeline = file === undefined ? undefined : await load(file);
  if (pipeline) checkStepNames(pipeline, steps, command);
  const root = pipeline?.root ?? projectHere();
  const config = requireRemote(root, flags.remote, command);
  return { jobs, keep, pipeline, root, config, session: openSession(root), backend: await openBackend(config) };
}

export async function pushCommand(file: string | undefined, steps: string[], flags: SyncFlags): Promise<number> {
  const { jobs, keep, pipeline, config, session, backend } = await prepareSync(file, steps, flags, 'push');
  return withLock(session, async () => {
    let keys: string[];
    if (pipeline) {
      const rel = projectRelative(pipeline.root, pipeline.file);
      const { selected } = selectSteps(pipeline, { targets: steps });
      keys = pipeline.order.filter((id) => selected.has(id)).flatMap((id) => session.records.pointer(rel, id)?.key ?? []);
    } else keys = [...gcRoots(session.records, keep).keptKeys];
    const records = keys.map((k) => session.records.read(k)).filter((r): r is RunRecord => r !== undefined);
    const progress = transferProgress(process.stderr, `push ${config.name}`);
    const report = await push(session, backend, records, { jobs, signingKey: signingKey(), progress });
    return printReport('push to', config, report, progress.close());
  });
}

export async function pullCommand(file: string | undefined, steps: string[], flags: SyncFlags): Promise<number> {
  const { jobs, keep, pipeline, root, config, session, backend } = await prepareSync(file, steps, flags, 'pull');
  return withLock(session, async () => {
    const progress = transferProgress(process.stderr, `pull ${config.name}`);
    const opts = { jobs, signingKey: signingKey(), progress };
    if (!pipeline) {
      // The records gc keeps, where the local store lacks some of their objects.
      const view = session.view('');
      const records = [...gcRoots(session.records, keep).keptKeys]
        .map((k) => session.records.read(k))
        .filter((r): r is RunRecord => r !== undefined && !view.complete(r));
      return printReport('pull from', config, await pull(session, config, backend, records, opts), progress.close());
    }
    // The steps' current keys, as `run` would compute them, looked up in the remote.
    const remote = (await openCliRemote(root, config.name, session, { jobs, forceRead: true }))!;
    const { order, decisions } = await planPipeline(pipeline, { targets: steps }, remote);
    const hits = order.map((id) => decisions.get(id)!).filter((d) => d.reasons[0]?.kind === 'remote');
    const report = await pull(
      session,
      config,
      backend,
      hits.map((d) => d.record!),
      opts,
    );
    const rel = projectRelative(pipeline.root, pipeline.file);
    const view = session.view(rel);
    for (const d of hits) {
      const local = session.records.read(d.record!.key);
      if (local && view.complete(local)) await session.records.point(rel, d.id, local.key, local.runId);
    }
    const code = printReport('pull from', config, report, progress.close());
    const absent = order.filter((id) => decisions.get(id)!.action === 'run');
    if (absent.length > 0) process.stderr.write(`not in the remote (a run executes them): ${absent.join(', ')}\n`);
    return code;
  });
}

export async function remoteGcCommand(root: string, flag: string | true, dryRun: boolean, graceMinutes: string): Promise<number> {
  const grace = Number(graceMinutes);
  if (!Number.isFinite(grace) || grace < 0) {
    process.stderr.write(`error: --grace: expected minutes (a non-negative number), got \`${graceMinutes}\`\n`);
    throw new Exit(EXIT.invalid);
  }
  const config = requireRemote(root, flag === true ? undefined : flag, 'gc --remote');
  const r = await collectRemoteGarbage(await openBackend(config), { dryRun, graceMs: grace * 60_000, warn });
  const verb = dryRun ? 'would remove' : 'removed';
  const uploads = dryRun ? '' : `, ${r.droppedUploads} abandoned uploads`;
  process.stdout.write(
    `remote ${config.name}: ${verb} ${r.removedObjects} objects (${formatBytes(r.freedBytes)}), ${r.removedQuarantined} quarantined${uploads}; ${r.records} records kept\n`,
  );
  return EXIT.ok;
}
