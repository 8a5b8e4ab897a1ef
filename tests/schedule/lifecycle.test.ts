/** The daemon's signals, hot reload, metrics endpoints, and `--list`. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, scheduledProject, runLog, isFinished, killDaemons } from './support.ts';
import { project } from '../helpers/project.ts';

test('SIGTERM during a run: no more fires, the run finishes within the grace period, exit 0; a second signal exits at once', async () => {
  const p = scheduledProject('cron: "* * * * * *"', 2.5);
  try {
    const d = startDaemon(p, ['--grace', '30']);
    const run = await d.waitFor((e) => /: run \(pid \d+\)$/.test(e.text));
    d.child.kill('SIGTERM');
    const done = await d.child;
    assert.is(done.exitCode, 0, d.stderr());
    const lines = d.events.map((e) => `${e.pipeline} ${e.text}`);
    assert.match(lines.join('\n'), /stopping: no more fires; waiting up to 30 s for 1 run\(s\)/);
    const finished = d.events.filter(isFinished);
    assert.is(finished.length, 1);
    assert.match(finished[0]!.text, /succeeded in .* \(exit 0\)/);
    assert.is(lines.at(-1), 'stopped ');
    assert.equal(runLog(p, 'end'), [run.slot], 'the run reached its end');
    const afterStop = d.events.slice(d.events.findIndex((e) => e.pipeline === 'stopping:'));
    assert.equal(afterStop.filter((e) => /: (run \(pid|skipped|queued)/.test(e.text)), [], 'nothing fired after the signal');

    const again = startDaemon(p, ['--grace', '30']);
    await again.waitFor((e) => /: run \(pid \d+\)$/.test(e.text));
    again.child.kill('SIGTERM');
    await again.waitFor((e) => e.pipeline === 'stopping:');
    const t0 = Date.now();
    again.child.kill('SIGTERM');
    const second = await again.child;
    assert.is(second.exitCode, 130);
    assert.ok(Date.now() - t0 < 2000, `exited ${Date.now() - t0} ms after the second signal`);
  } finally {
    killDaemons();
    p.cleanup();
  }
});

const far = 'cron: "0 0 1 1 *"\ntimezone: Europe/London';

test('hot reload: an invalid edit keeps the old schedule and logs the positioned error; a valid edit changes the next fire time', async () => {
  const p = scheduledProject(far);
  try {
    const d = startDaemon(p, ['--metrics-port', '0']);
    const scheduled = await d.waitFor((e) => /^scheduled /.test(e.text));
    assert.match(scheduled.text, /next Fri 2027-01-01 00:00:00 GMT$/);
    await d.waitFor((e) => e.pipeline === 'watching');
    const yaml = () => join(p.dir, 'p.yaml');
    const text = (schedule: string) => `pipeline: p\nsteps:\n  work: { uses: exec, cache: false, with: { cmd: "echo start $TRADEPIPE_SCHEDULE_SLOT >> runs.txt" } }\nschedule:\n${schedule.replace(/^/gm, '  ')}\n`;
    writeFileSync(yaml(), text('cron: "0 0 1 1 *"\ntimezone: Europe/Londn'));
    const invalid = await d.waitFor((e) => /^invalid; keeping the previous schedule$/.test(e.text));
    assert.is(`${invalid.pipeline} ${invalid.text}`, 'p.yaml invalid; keeping the previous schedule');
    assert.match(d.stderr(), /error TP0400: p\.yaml:6:13: unknown time zone `Europe\/Londn` \(did you mean `Europe\/London`\?\)/);
    writeFileSync(yaml(), text('cron: "0 0 1 1 *"\ntimezone: Europe/London\noverlap: bogus'));
    await d.waitFor((e) => /^invalid; keeping/.test(e.text), undefined, d.events.indexOf(invalid) + 1);
    assert.match(d.stderr(), /error TP0105: p\.yaml:7:12: field `schedule.overlap` must be one of "skip", "queue", "cancel", got string "bogus"/);
    assert.equal(d.events.filter((e) => /: run \(pid/.test(e.text)), [], 'the old schedule (yearly) is still the one in force');

    writeFileSync(yaml(), text('cron: "*/2 * * * * *"'));
    const changed = await d.waitFor((e) => /^schedule changed: /.test(e.text));
    assert.match(changed.text, /^schedule changed: `\*\/2 \* \* \* \* \*` UTC, overlap skip, catch_up none; next \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d[02468] UTC$/);
    const fired = await d.waitFor((e) => /: run \(pid \d+\)$/.test(e.text));
    assert.is(new Date(fired.slot!).getUTCSeconds() % 2, 0);
    await d.waitFor(isFinished);

    const port = Number(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(d.events.map((e) => `${e.pipeline} ${e.text}`).join('\n'))![1]);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.is(health.status, 200);
    const body = (await health.json()) as { status: string; schedules: number; running: number };
    assert.equal({ ...body, running: body.running <= 1 }, { status: 'ok', schedules: 1, running: true });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(metrics)?.[1]);
    assert.is(value('tradepipe_schedule_runs_total{pipeline="p",status="succeeded"}'), 1);
    assert.is(value('tradepipe_schedule_runs_total{pipeline="p",status="failed"}'), 0);
    assert.is(value('tradepipe_schedule_last_outcome{pipeline="p",status="succeeded"}'), 1);
    assert.ok(value('tradepipe_schedule_last_success_timestamp_seconds{pipeline="p"}') * 1000 > fired.slot!);
    const nextFire = value('tradepipe_schedule_next_fire_timestamp_seconds{pipeline="p"}');
    assert.ok(nextFire * 1000 > fired.slot! && nextFire % 2 === 0, `next fire ${nextFire}`);
    // The same registry carries the project's run history (engine/metrics): the scheduled run is in it.
    assert.ok(value('tradepipe_pipeline_runs_total{pipeline="p.yaml",status="succeeded"}') >= 1, metrics);
    await promtoolCheck(metrics);
    d.child.kill('SIGTERM');
    assert.is((await d.child).exitCode, 0, d.stderr());
  } finally {
    killDaemons();
    p.cleanup();
  }
});

test('default files: adding a `schedule:` to a pipeline in pipelines.d/ schedules it without a restart', async () => {
  const plain = 'steps:\n  work: { uses: exec, with: { cmd: "true" } }\n';
  const p = project({ 'pipelines.d/daily.yaml': plain, 'pipelines.d/fragments/part.yaml': 'steps: {}\n' });
  try {
    const d = startDaemon(p, [], []);
    await d.waitFor((e) => e.pipeline === 'watching');
    assert.is(`${d.events[0]!.pipeline} ${d.events[0]!.text}`, 'no schedules yet; watching pipelines.d');
    p.write('pipelines.d/daily.yaml', plain + 'schedule: { cron: "0 18 * * 1-5", timezone: America/New_York }\n');
    const scheduled = await d.waitFor((e) => e.pipeline === 'daily' && /^scheduled /.test(e.text));
    assert.match(scheduled.text, /^scheduled `0 18 \* \* 1-5` America\/New_York, overlap skip, catch_up none; next \w{3} \d{4}-\d\d-\d\d 18:00:00 E[SD]T$/);
    d.child.kill('SIGTERM');
    assert.is((await d.child).exitCode, 0, d.stderr());
  } finally {
    killDaemons();
    p.cleanup();
  }
});

async function promtoolCheck(exposition: string): Promise<void> {
  const which = await execa('sh', ['-c', 'command -v promtool'], { reject: false });
  if (which.exitCode !== 0) {
    if (process.env.CI === 'true') throw new Error('promtool is missing under CI (.ci/apt-packages installs prometheus)');
    console.log('SKIP schedule metrics: promtool not installed (apt-get install prometheus)');
    return;
  }
  const r = await execa('promtool', ['check', 'metrics'], { input: exposition, reject: false });
  assert.is(r.exitCode, 0, `promtool check metrics:\n${r.stdout}\n${r.stderr}`);
  assert.is(r.stdout + r.stderr, '');
}

test('--list: each schedule with its next fire times in its zone and in UTC; export from the CLI', async () => {
  const p = scheduledProject('cron: "30 1 * * *"\ntimezone: America/New_York\ncatch_up: latest');
  try {
    const r = await p.run(['schedule', '--list', 'p.yaml', '--from', '2026-10-30T12:00:00Z', '--count', '4']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `p  p.yaml
  cron "30 1 * * *" America/New_York · overlap skip · catch_up latest
  Sat 2026-10-31 01:30:00 EDT  2026-10-31T05:30:00Z
  Sun 2026-11-01 01:30:00 EDT  2026-11-01T05:30:00Z
  Mon 2026-11-02 01:30:00 EST  2026-11-02T06:30:00Z
  Tue 2026-11-03 01:30:00 EST  2026-11-03T06:30:00Z`);
    const k8s = await p.run(['schedule', 'export', '--format', 'k8s-cronjob', 'p.yaml', '--image', 'research:1', '--root', '/project']);
    assert.is(k8s.code, 0, k8s.stderr);
    assert.match(k8s.stdout, /\n {2}schedule: 30 1 \* \* \*\n {2}timeZone: America\/New_York\n {2}concurrencyPolicy: Forbid\n {2}jobTemplate:/);
    const systemd = await p.run(['schedule', 'export', '--format', 'systemd', 'p.yaml']);
    assert.match(systemd.stdout, /\nOnCalendar=\*-\*-\* 01:30:00 America\/New_York\n/);
    assert.match(systemd.stdout, /\nExecStart=\/\S+\/bin\/tradepipe run p\.yaml\n/);
    p.write('q.yaml', 'steps:\n  a: { uses: exec, with: { cmd: "true" } }\nschedule: { cron: "5 4 * * * * *" }\n');
    const bad = await p.run(['schedule', '--list', 'q.yaml']);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /^error TP0401: q\.yaml:3:19: invalid cron expression `5 4 \* \* \* \* \*`: mode '5-or-6-parts' requires exactly 5 or 6 parts/);
  } finally {
    p.cleanup();
  }
});

test.run();
