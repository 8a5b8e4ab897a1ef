/** The `schedule` command's definition; its implementation (engine/cli/schedule.ts) loads when it runs. */
import { Option, InvalidArgumentError, type Command } from 'commander';
import { EXIT, Exit } from './exit.ts';
import type { DaemonFlags, ExportFlags } from './schedule.ts';

export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('Run pipelines on their `schedule:` until stopped (SIGTERM/Ctrl-C: finish runs within --grace, then cancel; twice: at once).')
    .argument('[files...]', 'pipeline files (default: every pipeline in pipelines.d/ with a `schedule:`)')
    .option('--list', 'print each schedule with its next fire times, in its zone and in UTC, and exit')
    .option('--from <time>', 'with --list: fire times after this instant (ISO 8601) instead of now', instant)
    .option('--count <n>', 'with --list: how many fire times', integer(1), 5)
    .option('--grace <seconds>', 'on SIGTERM/Ctrl-C, how long running runs may finish before they are cancelled', integer(0), 30)
    .option('--metrics-port <port>', 'serve /metrics (Prometheus) and /healthz on this port (0: any free port)', integer(0))
    .option('--metrics-host <address>', 'address the metrics server listens on', '127.0.0.1')
    .action(async (files: string[], flags: DaemonFlags) => {
      const { listCommand, daemonCommand } = await import('./schedule.ts');
      const code = flags.list ? listCommand(files, flags) : await daemonCommand(files, flags);
      if (code !== EXIT.ok) throw new Exit(code);
    });

  schedule
    .command('export')
    .description('Print the schedules as crontab entries, systemd timer + service units, or Kubernetes CronJobs.')
    .argument('[files...]', 'pipeline files (default: every pipeline in pipelines.d/ with a `schedule:`)')
    .addOption(new Option('--format <format>', 'target scheduler').choices(['crontab', 'systemd', 'k8s-cronjob']).makeOptionMandatory())
    .option('--tradepipe <path>', 'the tradepipe executable the target runs (default: this one; `tradepipe` in a k8s image)')
    .option('--image <ref>', 'k8s-cronjob: container image holding the project and tradepipe', 'tradepipe:latest')
    .option('--root <dir>', 'project folder as the target sees it (default: this project\'s path)')
    .action(async (files: string[], flags: ExportFlags) => {
      const { exportCommand } = await import('./schedule.ts');
      exportCommand(files, flags);
    });
}

function integer(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

function instant(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2026-03-06T12:00:00Z');
  return at;
}
