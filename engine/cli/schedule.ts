/**
 * `tradepipe schedule`: the scheduler daemon in the foreground, `--list` of upcoming
 * fire times, and `schedule export` for users who prefer cron, systemd or Kubernetes.
 * Event lines go to stdout (one per fire and per finished run); diagnostics to stderr.
 */
import { InvalidInput } from '../errors.ts';
import { readScheduledFile, type ScheduledFile } from '../schedule/scheduled-file.ts';
import { displayPath, projectRelative } from '../project.ts';
import { scheduleFiles } from '../schedule/files.ts';
import { startDaemon, StartupInvalid, NO_SCHEDULE, type Daemon } from '../schedule/daemon.ts';
import { exportSchedules, type ExportFormat, type Exported } from '../schedule/export.ts';
import { formatInZone, formatUtc } from '../schedule/slots.ts';
import { printInvalid, EXIT, Exit } from './common.ts';
import { flushed } from './output.ts';

export interface DaemonFlags {
  list?: boolean;
  from?: Date;
  count: number;
  grace: number;
  metricsPort?: number;
  metricsHost: string;
}

export interface ExportFlags {
  format: ExportFormat;
  tradepipe?: string;
  image: string;
  root?: string;
}

export function exportCommand(files: string[], flags: ExportFlags): void {
  const { root, scheduled } = readScheduled(files);
  const exported: Exported[] = scheduled.map((f) => ({ name: f.name, file: projectRelative(root, f.file), schedule: f.schedule! }));
  try {
    // cron and systemd start with a bare PATH: name this executable by its absolute path.
    const tradepipe = flags.tradepipe ?? (flags.format === 'k8s-cronjob' ? 'tradepipe' : process.argv[1]!);
    process.stdout.write(exportSchedules(flags.format, exported, { root: flags.root ?? root, tradepipe, image: flags.image }));
  } catch (error) {
    process.stderr.write(`error: schedule export: ${(error as Error).message}\n`);
    throw new Exit(EXIT.invalid);
  }
}

/** The scheduled files among those named (or pipelines.d/), every one valid; else prints why and exits 2. */
function readScheduled(named: string[]): { root: string; scheduled: ScheduledFile[] } {
  const files = scheduleFiles(named, process.cwd());
  const scheduled: ScheduledFile[] = [];
  let invalid = false;
  for (const path of files.list()) {
    try {
      const file = readScheduledFile(path);
      if (file.schedule) scheduled.push(file);
      else if (named.length > 0) {
        printInvalid(new InvalidInput([{ origin: displayPath(path), message: NO_SCHEDULE }]));
        invalid = true;
      }
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      printInvalid(error);
      invalid = true;
    }
  }
  if (invalid) throw new Exit(EXIT.invalid);
  return { root: files.root, scheduled };
}

export function listCommand(named: string[], flags: DaemonFlags): number {
  const { scheduled } = readScheduled(named);
  const from = flags.from ?? new Date();
  const out: string[] = [];
  for (const f of scheduled) {
    const s = f.schedule!;
    out.push(`${f.name}  ${displayPath(f.file)}`, `  cron "${s.expression}" ${s.timezone} · overlap ${s.overlap} · catch_up ${s.catchUp}${s.set.length > 0 ? ` · set ${s.set.join(' ')}` : ''}`);
    const times = s.cron.nextRuns(flags.count, from);
    const zoned = times.map((t) => formatInZone(t, s.timezone));
    const width = Math.max(0, ...zoned.map((z) => z.length));
    times.forEach((t, i) => out.push(`  ${zoned[i]!.padEnd(width)}  ${formatUtc(t)}`));
    if (times.length === 0) out.push('  (never fires again)');
    out.push('');
  }
  if (scheduled.length === 0) out.push('no schedules', '');
  process.stdout.write(out.join('\n'));
  return EXIT.ok;
}

export async function daemonCommand(named: string[], flags: DaemonFlags): Promise<number> {
  let daemon: Daemon;
  try {
    daemon = await startDaemon({
      files: scheduleFiles(named, process.cwd()),
      // The same tradepipe that runs this daemon runs each fire.
      command: [process.execPath, ...process.execArgv, process.argv[1]!],
      graceMs: flags.grace * 1000,
      ...(flags.metricsPort !== undefined ? { metrics: { port: flags.metricsPort, host: flags.metricsHost } } : {}),
      env: process.env,
      log: (line) => process.stdout.write(line + '\n'),
      invalid: printInvalid,
    });
  } catch (error) {
    if (!(error instanceof StartupInvalid)) throw error;
    for (const e of error.errors) printInvalid(e);
    return EXIT.invalid;
  }
  const onSignal = () => daemon.signal();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A second signal leaves at once: the watcher and timers would otherwise keep the process alive.
  if ((await daemon.stopped) === 'aborted') {
    await flushed();
    process.exit(EXIT.cancelled);
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return EXIT.ok;
}
