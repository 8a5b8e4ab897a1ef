import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileCron } from '../../engine/schedule/definition.ts';
import { missedSlots, formatInZone, formatUtc } from '../../engine/schedule/slots.ts';
import { exportSchedules, onCalendar, type Exported } from '../../engine/schedule/export.ts';
import { readScheduledFile } from '../../engine/schedule/scheduled-file.ts';
import { loadPipeline } from '../../engine/pipeline.ts';
import { InvalidInput, formatDiagnostic } from '../../engine/errors.ts';
import { project } from '../helpers/project.ts';

const next = (cron: string, zone: string, from: string, n: number) =>
  compileCron(cron, zone)
    .nextRuns(n, new Date(from))
    .map((d) => `${formatInZone(d, zone)} = ${formatUtc(d)}`);

test('New York spring forward: a fixed time in the gap runs once just after it; interval times in the gap are skipped', () => {
  assert.equal(next('30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', 2), [
    'Sun 2026-03-08 03:00:00 EDT = 2026-03-08T07:00:00Z',
    'Mon 2026-03-09 02:30:00 EDT = 2026-03-09T06:30:00Z',
  ]);
  assert.equal(next('*/30 1-3 * * *', 'America/New_York', '2026-03-08T05:00:00Z', 4), [
    'Sun 2026-03-08 01:00:00 EST = 2026-03-08T06:00:00Z',
    'Sun 2026-03-08 01:30:00 EST = 2026-03-08T06:30:00Z',
    'Sun 2026-03-08 03:00:00 EDT = 2026-03-08T07:00:00Z',
    'Sun 2026-03-08 03:30:00 EDT = 2026-03-08T07:30:00Z',
  ]);
});

test('New York fall back: a fixed time in the repeated hour runs once (first pass); interval times run on both passes', () => {
  assert.equal(next('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', 2), [
    'Sun 2026-11-01 01:30:00 EDT = 2026-11-01T05:30:00Z',
    'Mon 2026-11-02 01:30:00 EST = 2026-11-02T06:30:00Z',
  ]);
  assert.equal(next('*/30 1 * * *', 'America/New_York', '2026-11-01T04:00:00Z', 5), [
    'Sun 2026-11-01 01:00:00 EDT = 2026-11-01T05:00:00Z',
    'Sun 2026-11-01 01:30:00 EDT = 2026-11-01T05:30:00Z',
    'Sun 2026-11-01 01:00:00 EST = 2026-11-01T06:00:00Z',
    'Sun 2026-11-01 01:30:00 EST = 2026-11-01T06:30:00Z',
    'Mon 2026-11-02 01:00:00 EST = 2026-11-02T06:00:00Z',
  ]);
});

test('London: spring forward moves 01:30 to 02:00 BST; fall back runs 01:30 once; weekday evenings keep local time across the change', () => {
  assert.equal(next('30 1 * * *', 'Europe/London', '2026-03-28T12:00:00Z', 2), [
    'Sun 2026-03-29 02:00:00 GMT+1 = 2026-03-29T01:00:00Z',
    'Mon 2026-03-30 01:30:00 GMT+1 = 2026-03-30T00:30:00Z',
  ]);
  assert.equal(next('30 1 * * *', 'Europe/London', '2026-10-24T12:00:00Z', 2), [
    'Sun 2026-10-25 01:30:00 GMT+1 = 2026-10-25T00:30:00Z',
    'Mon 2026-10-26 01:30:00 GMT = 2026-10-26T01:30:00Z',
  ]);
  assert.equal(next('0 18 * * 1-5', 'Europe/London', '2026-10-23T12:00:00Z', 2), [
    'Fri 2026-10-23 18:00:00 GMT+1 = 2026-10-23T17:00:00Z',
    'Mon 2026-10-26 18:00:00 GMT = 2026-10-26T18:00:00Z',
  ]);
});

test('missed slots: counted after the boundary up to now inclusive; none when nothing came due', () => {
  const cron = compileCron('*/10 * * * * *', 'UTC');
  const missed = missedSlots(cron, new Date('2026-01-01T00:00:10Z'), new Date('2026-01-01T00:00:40Z'));
  assert.equal(missed && { count: missed.count, latest: formatUtc(missed.latest) }, { count: 3, latest: '2026-01-01T00:00:40Z' });
  assert.is(missedSlots(cron, new Date('2026-01-01T00:00:40Z'), new Date('2026-01-01T00:00:49.999Z')), undefined);
});

test('schedule: block errors name file:line:col (cron, time zone, set key, schema)', () => {
  const p = project({
    'p.yaml': `steps:
  fetch: { uses: exec, with: { cmd: "true" } }
schedule:
  cron: "0 25 * * *"
  timezone: Europe/Londno
  overlap: skipp
  set: { fetchh.cmd: "false" }
`,
  });
  try {
    readScheduledFile(`${p.dir}/p.yaml`);
    assert.unreachable('no error');
  } catch (error) {
    assert.instance(error, InvalidInput);
    const heads = (error as InvalidInput).diagnostics.map((d) => formatDiagnostic(d, { color: false }).split('\n')[0]!.replace(/^.*p\.yaml/, 'p.yaml'));
    assert.equal(heads, ['p.yaml:6:12: field `schedule.overlap` must be one of "skip", "queue", "cancel", got string "skipp" (did you mean `skip`?)']);
  }
  p.write('p.yaml', `steps:
  fetch: { uses: exec, with: { cmd: "true" } }
schedule:
  cron: "0 25 * * *"
  timezone: Europe/Londno
  set: { fetchh.cmd: "false" }
`);
  try {
    readScheduledFile(`${p.dir}/p.yaml`);
    assert.unreachable('no error');
  } catch (error) {
    const heads = (error as InvalidInput).diagnostics.map((d) => formatDiagnostic(d, { color: false }).split('\n')[0]!.replace(/^.*p\.yaml/, 'p.yaml'));
    assert.equal(heads, [
      'p.yaml:5:13: unknown time zone `Europe/Londno` (did you mean `Europe/London`?); expected an IANA name such as America/New_York or UTC',
      'p.yaml:4:9: invalid cron expression `0 25 * * *`: Invalid value for hour: 25; expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first',
      'p.yaml:6:10: unknown step `fetchh` in `schedule.set` (did you mean `fetch`?); expected `step.param: value`',
    ]);
  } finally {
    p.cleanup();
  }
});

test('`run` checks the schedule: block too (croner loads only for a pipeline that has one)', async () => {
  const p = project({
    'p.yaml': `steps:
  fetch: { uses: exec, with: { cmd: "true" } }
schedule:
  cron: "0 25 * * *"
`,
  });
  try {
    await loadPipeline(`${p.dir}/p.yaml`);
    assert.unreachable('no error');
  } catch (error) {
    assert.instance(error, InvalidInput);
    const heads = (error as InvalidInput).diagnostics.map((d) => formatDiagnostic(d, { color: false }).split('\n')[0]!.replace(/^.*p\.yaml/, 'p.yaml'));
    assert.equal(heads, [
      'p.yaml:4:9: invalid cron expression `0 25 * * *`: Invalid value for hour: 25; expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first',
    ]);
  } finally {
    p.cleanup();
  }
});

test('a good schedule: defaults, and set as --set arguments', () => {
  const p = project({
    'p.yaml': `steps:
  fetch: { uses: exec, with: { cmd: "true" } }
schedule:
  cron: "50 15 * * 1-5"
  set: { fetch.cmd: "echo hi", fetch.deps: [a.txt] }
`,
  });
  try {
    const { schedule } = readScheduledFile(`${p.dir}/p.yaml`);
    assert.equal({ ...schedule, cron: undefined }, { expression: '50 15 * * 1-5', timezone: 'UTC', overlap: 'skip', catchUp: 'none', set: ['fetch.cmd=echo hi', 'fetch.deps=["a.txt"]'], cron: undefined });
  } finally {
    p.cleanup();
  }
});

const daily: Exported = {
  name: 'daily_data_collection',
  file: 'pipelines.d/daily_data_collection.yaml',
  schedule: { expression: '30 18 * * 1-5', timezone: 'America/New_York', overlap: 'skip', catchUp: 'latest', set: ['ohlcv.end=today'], cron: compileCron('30 18 * * 1-5', 'America/New_York') },
};
const opts = { root: '/srv/research', tradepipe: '/usr/local/bin/tradepipe', image: 'registry.example/research:1' };

test('systemd: OnCalendar in the zone, Persistent for catch_up latest, a oneshot service', () => {
  assert.equal(exportSchedules('systemd', [daily], opts), `# tradepipe-daily_data_collection.timer
[Unit]
Description=Schedule of tradepipe pipeline daily_data_collection (pipelines.d/daily_data_collection.yaml)

[Timer]
OnCalendar=Mon..Fri *-*-* 18:30:00 America/New_York
AccuracySec=1s
Persistent=true
Unit=tradepipe-daily_data_collection.service

[Install]
WantedBy=timers.target

# tradepipe-daily_data_collection.service
[Unit]
Description=tradepipe run pipelines.d/daily_data_collection.yaml
# overlap skip: a timer does not start a service that is still running

[Service]
Type=oneshot
WorkingDirectory=/srv/research
ExecStart=/usr/local/bin/tradepipe run pipelines.d/daily_data_collection.yaml --set ohlcv.end=today
KillSignal=SIGTERM
SuccessExitStatus=0
`);
});

test('OnCalendar: steps, ranges, lists, seconds, and cron\'s day-of-month OR day-of-week as two events', () => {
  const cal = (expression: string) => onCalendar({ ...daily, schedule: { ...daily.schedule, expression, timezone: 'UTC' } });
  assert.equal(cal('*/15 9-17 * * *'), ['*-*-* 09..17:00/15:00 UTC']);
  assert.equal(cal('*/5 * * * * *'), ['*-*-* *:*:00/5 UTC']);
  assert.equal(cal('0 6 * * 0,6'), ['Sun,Sat *-*-* 06:00:00 UTC']);
  assert.equal(cal('0 0 1,15 * 1'), ['*-*-01,15 00:00:00 UTC', 'Mon *-*-* 00:00:00 UTC']);
  assert.equal(cal('0 12 1 */3 *'), ['*-01/3-01 12:00:00 UTC']);
  assert.throws(() => cal('0 12 L * *'), /L, W or #/);
});

test('crontab: CRON_TZ and flock for overlap; k8s: timeZone, concurrencyPolicy, deadline for catch_up none', () => {
  const weekly: Exported = { ...daily, name: 'full_strategy', file: 'pipelines.d/full_strategy.yaml', schedule: { ...daily.schedule, expression: '0 6 * * 6', overlap: 'cancel', catchUp: 'none', set: [] } };
  assert.equal(exportSchedules('crontab', [daily, weekly], opts), `# tradepipe schedules (tradepipe schedule export --format crontab)
SHELL=/bin/sh

# daily_data_collection (pipelines.d/daily_data_collection.yaml): overlap skip, catch_up latest
# catch_up latest has no cron equivalent: slots missed while the machine was down do not run
CRON_TZ=America/New_York
30 18 * * 1-5 cd /srv/research && mkdir -p .tradepipe/schedule && flock -n .tradepipe/schedule/daily_data_collection.flock /usr/local/bin/tradepipe run pipelines.d/daily_data_collection.yaml --set ohlcv.end=today

# full_strategy (pipelines.d/full_strategy.yaml): overlap cancel, catch_up none
# overlap cancel has no cron equivalent: a fire while a run is running is skipped
CRON_TZ=America/New_York
0 6 * * 6 cd /srv/research && mkdir -p .tradepipe/schedule && flock -n .tradepipe/schedule/full_strategy.flock /usr/local/bin/tradepipe run pipelines.d/full_strategy.yaml
`);
  assert.equal(exportSchedules('k8s-cronjob', [weekly], opts), `# full_strategy (pipelines.d/full_strategy.yaml): overlap cancel -> concurrencyPolicy Replace, catch_up none
# catch_up none: startingDeadlineSeconds drops a slot not started within a minute
apiVersion: batch/v1
kind: CronJob
metadata:
  name: tradepipe-full-strategy
  labels:
    app.kubernetes.io/name: tradepipe
    tradepipe/pipeline: full-strategy
spec:
  schedule: 0 6 * * 6
  timeZone: America/New_York
  concurrencyPolicy: Replace
  startingDeadlineSeconds: 60
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: tradepipe
              image: registry.example/research:1
              workingDir: /srv/research
              command:
                - /usr/local/bin/tradepipe
                - run
                - pipelines.d/full_strategy.yaml
`);
  const seconds: Exported = { ...daily, schedule: { ...daily.schedule, expression: '*/5 * * * * *' } };
  assert.throws(() => exportSchedules('k8s-cronjob', [seconds], opts), /no seconds field/);
  assert.throws(() => exportSchedules('crontab', [seconds], opts), /no seconds field/);
});

test.run();
