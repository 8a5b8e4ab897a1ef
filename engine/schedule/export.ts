/**
 * Schedules as the OS's or the cluster's scheduler writes them: a crontab, systemd
 * `.timer` + `.service` pairs, or Kubernetes `batch/v1` CronJobs. Pure text from the
 * parsed schedules; what a target cannot express is an error or a comment that says so.
 */
import { CronPattern } from 'croner';
import { stringify } from 'yaml';
import type { Schedule } from './definition.ts';

export type ExportFormat = 'crontab' | 'systemd' | 'k8s-cronjob';

export interface Exported {
  name: string;
  /** Project-relative pipeline file. */
  file: string;
  schedule: Schedule;
}

export interface ExportOptions {
  root: string;
  /** The `tradepipe` executable as the target should call it. */
  tradepipe: string;
  /** Container image holding the project and tradepipe (k8s only). */
  image: string;
}

export function exportSchedules(format: ExportFormat, schedules: readonly Exported[], opts: ExportOptions): string {
  switch (format) {
    case 'crontab':
      return crontab(schedules, opts);
    case 'systemd':
      return schedules.map((s) => systemd(s, opts)).join('\n');
    case 'k8s-cronjob':
      return schedules.map((s) => k8s(s, opts)).join('---\n');
  }
}

function runArgs(s: Exported): string[] {
  return ['run', s.file, ...s.schedule.set.flatMap((x) => ['--set', x])];
}

/** POSIX shell quoting, only where needed. */
function sh(word: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function fields(s: Exported): string[] {
  return s.schedule.expression.trim().split(/\s+/);
}

function requireFiveFields(s: Exported, target: string): void {
  if (fields(s).length !== 5) throw new Error(`${s.file}: ${target} has no seconds field; cron \`${s.schedule.expression}\` needs a 5-field expression`);
}

/** Vixie cron with cronie's CRON_TZ; `flock` gives `overlap: skip` (-n) or a queue (blocking). */
function crontab(schedules: readonly Exported[], opts: ExportOptions): string {
  const lines = ['# tradepipe schedules (tradepipe schedule export --format crontab)', 'SHELL=/bin/sh'];
  for (const s of schedules) {
    requireFiveFields(s, 'crontab');
    const lockFile = `.tradepipe/schedule/${s.name}.flock`;
    const flock = s.schedule.overlap === 'queue' ? ['flock', lockFile] : ['flock', '-n', lockFile];
    lines.push('', `# ${s.name} (${s.file}): overlap ${s.schedule.overlap}, catch_up ${s.schedule.catchUp}`);
    if (s.schedule.overlap === 'queue') lines.push('# overlap queue: flock waits, so every blocked fire queues (cron cannot keep only one pending)');
    if (s.schedule.overlap === 'cancel') lines.push('# overlap cancel has no cron equivalent: a fire while a run is running is skipped');
    if (s.schedule.catchUp === 'latest') lines.push('# catch_up latest has no cron equivalent: slots missed while the machine was down do not run');
    lines.push(`CRON_TZ=${s.schedule.timezone}`);
    const command = ['cd', sh(opts.root), '&&', 'mkdir', '-p', '.tradepipe/schedule', '&&', ...flock.map(sh), sh(opts.tradepipe), ...runArgs(s).map(sh)].join(' ');
    lines.push(`${fields(s).join(' ')} ${command.replace(/%/g, '\\%')}`);
  }
  return lines.join('\n') + '\n';
}

/** A unit name from a pipeline name: systemd allows [A-Za-z0-9:_.\-]. */
function unitName(name: string): string {
  return `tradepipe-${name.replace(/[^A-Za-z0-9:_.-]/g, '-')}`;
}

function systemd(s: Exported, opts: ExportOptions): string {
  const unit = unitName(s.name);
  const calendars = onCalendar(s);
  const timer = [
    `# ${unit}.timer`,
    '[Unit]',
    `Description=Schedule of tradepipe pipeline ${s.name} (${s.file})`,
    '',
    '[Timer]',
    ...calendars.map((c) => `OnCalendar=${c}`),
    'AccuracySec=1s',
    // systemd runs a missed activation once at boot: the same as catch_up: latest.
    `Persistent=${s.schedule.catchUp === 'latest' ? 'true' : 'false'}`,
    `Unit=${unit}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
  ];
  const overlapNote =
    s.schedule.overlap === 'skip'
      ? '# overlap skip: a timer does not start a service that is still running'
      : `# overlap ${s.schedule.overlap} has no systemd equivalent: a timer does not start a service that is still running (skip)`;
  const service = [
    `# ${unit}.service`,
    '[Unit]',
    `Description=tradepipe run ${s.file}`,
    overlapNote,
    '',
    '[Service]',
    'Type=oneshot',
    `WorkingDirectory=${opts.root}`,
    `ExecStart=${[opts.tradepipe, ...runArgs(s)].map(systemdQuote).join(' ')}`,
    // `tradepipe run` cancels its steps on SIGTERM and exits 130.
    'KillSignal=SIGTERM',
    'SuccessExitStatus=0',
  ];
  return [...timer, '', ...service, ''].join('\n');
}

function systemdQuote(word: string): string {
  return /^[A-Za-z0-9_./=:@+-]+$/.test(word) ? word : `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** croner marks a plain weekday (any occurrence in the month) with this bitmask; others are `#n`. */
const ANY_OCCURRENCE = 0b111111;

/**
 * `OnCalendar=` expressions equal to the cron expression, in its time zone. Cron runs when
 * day-of-month OR day-of-week matches if both are restricted: two expressions, whose union
 * systemd takes.
 */
export function onCalendar(s: Exported): string[] {
  const p = new CronPattern(s.schedule.expression, s.schedule.timezone, { mode: '5-or-6-parts' });
  if (p.lastDayOfMonth || p.lastWeekday || p.nearestWeekdays.some(Boolean) || p.dayOfWeek.some((v) => v !== 0 && v !== ANY_OCCURRENCE)) {
    throw new Error(`${s.file}: cron \`${s.schedule.expression}\` uses L, W or #, which systemd calendar events cannot express`);
  }
  const time = `${values(p.hour, 0)}:${values(p.minute, 0)}:${values(p.second, 0)}`;
  const month = values(p.month, 1);
  const days = values(p.day, 1);
  const weekdays = p.dayOfWeek.every((v) => v !== 0) ? '' : weekdayList(p.dayOfWeek);
  const at = (dow: string, dom: string) => `${dow ? dow + ' ' : ''}*-${month}-${dom} ${time} ${s.schedule.timezone}`;
  if (!p.starDOM && !p.starDOW && !p.useAndLogic) return [at('', days), at(weekdays, '*')];
  return [at(weekdays, days)];
}

/** A cron field's set of values, 0/1 per index from `base`, as systemd writes it. */
function values(mask: readonly number[], base: number): string {
  const on = mask.flatMap((v, i) => (v ? [i + base] : []));
  if (on.length === mask.length) return '*';
  const pad = (n: number) => String(n).padStart(2, '0');
  const step = on.length > 2 ? on[1]! - on[0]! : 0;
  const progression = step > 1 && on.every((v, i) => v === on[0]! + i * step) && on.at(-1)! + step > mask.length - 1 + base;
  if (progression) return `${pad(on[0]!)}/${step}`;
  if (on.length > 2 && on.every((v, i) => v === on[0]! + i)) return `${pad(on[0]!)}..${pad(on.at(-1)!)}`;
  return on.map(pad).join(',');
}

function weekdayList(mask: readonly number[]): string {
  const on = mask.flatMap((v, i) => (v ? [i] : []));
  if (on.length > 2 && on.every((v, i) => v === on[0]! + i)) return `${WEEKDAYS[on[0]!]}..${WEEKDAYS[on.at(-1)!]}`;
  return on.map((d) => WEEKDAYS[d]).join(',');
}

/** DNS-1123 label, as Kubernetes object names must be (CronJob names at most 52 characters). */
function k8sName(name: string): string {
  return `tradepipe-${name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 52).replace(/-+$/, '');
}

const CONCURRENCY = { skip: 'Forbid', queue: 'Forbid', cancel: 'Replace' } as const;

function k8s(s: Exported, opts: ExportOptions): string {
  requireFiveFields(s, 'a Kubernetes CronJob');
  const notes = [`# ${s.name} (${s.file}): overlap ${s.schedule.overlap} -> concurrencyPolicy ${CONCURRENCY[s.schedule.overlap]}, catch_up ${s.schedule.catchUp}`];
  if (s.schedule.overlap === 'queue') notes.push('# overlap queue has no Kubernetes equivalent: Forbid skips a fire while a job runs');
  if (s.schedule.catchUp === 'none') notes.push('# catch_up none: startingDeadlineSeconds drops a slot not started within a minute');
  const doc = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: k8sName(s.name), labels: { 'app.kubernetes.io/name': 'tradepipe', 'tradepipe/pipeline': k8sName(s.name).slice('tradepipe-'.length) } },
    spec: {
      schedule: s.schedule.expression,
      timeZone: s.schedule.timezone,
      concurrencyPolicy: CONCURRENCY[s.schedule.overlap],
      // Without a deadline the controller starts the most recent missed slot once: catch_up latest.
      ...(s.schedule.catchUp === 'none' ? { startingDeadlineSeconds: 60 } : {}),
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'tradepipe', image: opts.image, workingDir: opts.root, command: [opts.tradepipe, ...runArgs(s)] }],
            },
          },
        },
      },
    },
  };
  return notes.join('\n') + '\n' + stringify(doc);
}
