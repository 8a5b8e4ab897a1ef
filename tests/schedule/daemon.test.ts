/**
 * `tradepipe schedule` as a real process firing real `tradepipe run` children, on
 * six-field (per-second) crons so that a few seconds show many slots. Timing slack is
 * generous (the machine is shared); counts are exact.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, scheduledProject, runLog, fires, isFinished, killDaemons, type Event } from './support.ts';

/** A fire is on time when logged at or after its slot and well before the next second's slot would be late. */
const ON_TIME_MS = 1500;

const ran = (events: Event[]) => fires(events).filter((e) => /: run \(pid \d+(, catch-up)?\)$/.test(e.text));
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

test('every second for 5 s: each slot fires once, on time; each fire that runs is exactly one child run', async () => {
  const p = scheduledProject('cron: "* * * * * *"');
  try {
    const d = startDaemon(p, []);
    const first = await d.waitFor((e) => fires([e]).length === 1);
    await d.waitFor((e) => e.slot === first.slot! + 5000 && fires([e]).length === 1, 20_000);
    d.child.kill('SIGTERM');
    const done = await d.child;
    assert.is(done.exitCode, 0, d.stderr());
    const fired = fires(d.events);
    const slots = fired.map((e) => e.slot!);
    assert.ok(slots.length >= 6, `${slots.length} fires`);
    slots.forEach((s, i) => i > 0 && assert.is(s - slots[i - 1]!, 1000, 'consecutive slots, none missing or twice'));
    for (const e of fired) assert.ok(e.at >= e.slot! && e.at - e.slot! < ON_TIME_MS, `fired ${e.at - e.slot!} ms after its slot`);
    const runs = ran(d.events).map((e) => e.slot!);
    assert.equal(sorted(runLog(p, 'start')), runs, 'one child run per fire that ran');
    assert.is(d.events.filter(isFinished).length, runs.length);
    assert.ok(d.events.filter(isFinished).every((e) => / succeeded in .* \(exit 0\)/.test(e.text)));
    assert.is(fired.length - runs.length, fired.filter((e) => /skipped, the run of/.test(e.text)).length, 'every other fire was skipped');
  } finally {
    killDaemons();
    p.cleanup();
  }
});

/**
 * Whether a run of an earlier slot was in progress at a fire: its end is not logged before the fire. Its start line
 * may come after the fire, as it follows the writes of the run's state.
 */
function duringRun(events: Event[], fire: Event): boolean {
  const at = events.indexOf(fire);
  if (at < 0) throw new Error('fire not in the log');
  const endedBefore = new Set(
    events
      .slice(0, at)
      .filter(isFinished)
      .map((e) => e.slot),
  );
  return events.some((e) => /: run \(pid/.test(e.text) && e.slot! < fire.slot! && !endedBefore.has(e.slot));
}

test('overlap skip, a 2.5 s step: exactly the fires that land during a run are skipped', async () => {
  const p = scheduledProject('cron: "* * * * * *"\noverlap: skip', 2.5);
  try {
    const d = startDaemon(p, []);
    await d.waitFor(isFinished);
    await d.waitFor((e) => /: run \(pid/.test(e.text), 20_000, d.events.findIndex(isFinished));
    d.child.kill('SIGTERM');
    const done = await d.child;
    assert.is(done.exitCode, 0, d.stderr());
    const fired = fires(d.events);
    for (const f of fired) assert.is(/skipped, the run of/.test(f.text), duringRun(d.events, f), f.text);
    const runs = ran(d.events).map((e) => e.slot!);
    assert.is(runs.length, 2);
    // A run of at least 2.5 s spans at least two one-second slots, each skipped: the two runs' fires plus those two.
    assert.ok(fired.length >= 4, `${fired.length} fires`);
    assert.equal(sorted(runLog(p, 'start')), runs);
    assert.equal(sorted(runLog(p, 'end')), runs, 'both runs finished (SIGTERM waits within the grace period)');
  } finally {
    killDaemons();
    p.cleanup();
  }
});

test('overlap queue: one pending at most, started as soon as the run before it finishes', async () => {
  const p = scheduledProject('cron: "* * * * * *"\noverlap: queue', 2.5);
  try {
    const d = startDaemon(p, []);
    const queued = await d.waitFor((e) => /: queued, the run of/.test(e.text));
    const started = await d.waitFor((e) => e.slot === queued.slot && /: run \(pid \d+, queued\)$/.test(e.text));
    d.child.kill('SIGTERM');
    const done = await d.child;
    assert.is(done.exitCode, 0, d.stderr());
    const events = d.events;
    const log = `the daemon's log:\n${events.map((e) => e.text).join('\n')}`;
    // The queued run starts as soon as the first run finishes, not at a fire. Its start line follows the writes of
    // its state, so a later slot's fire may be logged in between (it then names the queued run as the running one).
    const startedAt = events.indexOf(started);
    const firstEnd = events.findIndex((e) => isFinished(e) && e.slot === ran(events)[0]!.slot);
    assert.ok(firstEnd >= 0 && firstEnd < startedAt, log);
    const startedSlot = /slot (\S+Z)/.exec(started.text)![1]!;
    for (const e of events.slice(firstEnd + 1, startedAt))
      assert.match(e.text, new RegExp(`: (queued|skipped), the run of slot ${startedSlot} is still running`), log);
    let pending = 0;
    for (const e of events) {
      if (/: queued, the run of/.test(e.text)) pending += 1;
      // A run's end hands the pending slot to a new run.
      if (isFinished(e) && pending > 0) pending -= 1;
      assert.ok(pending <= 1, `at most one pending\n${log}`);
      if (/skipped, the run of .* is queued/.test(e.text)) assert.is(pending, 1, log);
    }
    const fired = fires(events);
    const duringFirst = fired.filter((e) => events.indexOf(e) < firstEnd);
    assert.is(
      duringFirst.filter((e) => /queued, the run of/.test(e.text)).length,
      1,
      'one slot was queued during the first run; the rest were skipped while it waited',
    );
    assert.ok(fired.filter((e) => /skipped, the run of/.test(e.text)).length >= 1);
    const runs = sorted(events.filter((e) => /: run \(pid/.test(e.text)).map((e) => e.slot!));
    assert.is(runs.length, 2);
    assert.equal(sorted(runLog(p, 'end')), runs);
  } finally {
    killDaemons();
    p.cleanup();
  }
});

test('overlap cancel: a fire cancels the running run and starts; --grace 0 cancels the last one at SIGTERM, exit 0', async () => {
  const p = scheduledProject('cron: "*/2 * * * * *"\noverlap: cancel', 2.5);
  try {
    const d = startDaemon(p, ['--grace', '0']);
    const cancelling = await d.waitFor((e) => /: cancelling the run of slot/.test(e.text));
    const replaced = await d.waitFor((e) => e.slot === cancelling.slot && /: run \(pid \d+, queued\)$/.test(e.text));
    d.child.kill('SIGTERM');
    const done = await d.child;
    assert.is(done.exitCode, 0, d.stderr());
    const events = d.events;
    const cancelledFirst = events.find((e) => isFinished(e) && e.slot === cancelling.slot! - 2000)!;
    assert.match(cancelledFirst.text, / cancelled in .* \((exit 130|signal SIGTERM)\)/);
    assert.ok(events.indexOf(cancelledFirst) < events.indexOf(replaced), 'the new run starts after the old one is gone');
    const finished = events.filter(isFinished);
    assert.ok(
      finished.every((e) => / cancelled in /.test(e.text)),
      finished.map((e) => e.text).join('\n'),
    );
    assert.equal(runLog(p, 'end'), [], 'no cancelled run reached its end');
    assert.match(events.map((e) => `${e.pipeline} ${e.text}`).join('\n'), /grace period over: cancelling 1 run/);
  } finally {
    killDaemons();
    p.cleanup();
  }
});

/** The slot of the last run the first daemon started. */
async function killedAfterARun(p: ReturnType<typeof scheduledProject>) {
  const first = startDaemon(p, []);
  await first.waitFor(isFinished);
  first.child.kill('SIGKILL');
  await first.child;
  const lastFired = Math.max(...fires(first.events).map((e) => e.slot!));
  return { first, lastFired };
}

const stateOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, '.tradepipe', 'schedule', 'p.yaml.json'), 'utf8')) as { slot: string; lastRun: { slot: string; outcome: string } };

test('kill -9 and restart, catch_up latest: no slot twice, exactly one missed slot runs', async () => {
  const p = scheduledProject('cron: "* * * * * *"\ncatch_up: latest');
  try {
    const { first, lastFired } = await killedAfterARun(p);
    assert.ok(new Date(stateOf(p.dir).slot).getTime() >= lastFired, 'the last fired slot was on disk before the kill');
    await new Promise((r) => setTimeout(r, 2500));
    const second = startDaemon(p, []);
    const note = await second.waitFor((e) => /missed while the scheduler was down/.test(e.text));
    assert.match(note.text, /^\d+ slots? missed while the scheduler was down, the latest \S+: catching up once \(catch_up: latest\)$/);
    const caught = await second.waitFor((e) => /: run \(pid \d+, catch-up\)$/.test(e.text));
    const restartedAt = second.events[0]!.at;
    assert.ok(caught.slot! > lastFired && caught.slot! < restartedAt, 'a slot from the downtime');
    await second.waitFor((e) => isFinished(e) && e.slot === caught.slot);
    await second.waitFor((e) => /: run \(pid \d+\)$/.test(e.text) && e.slot! > caught.slot!);
    second.child.kill('SIGTERM');
    assert.is((await second.child).exitCode, 0, second.stderr());
    assert.is(ran(second.events).filter((e) => /catch-up/.test(e.text)).length, 1);
    const downtime = ran(second.events).filter((e) => e.slot! < restartedAt);
    assert.equal(
      downtime.map((e) => e.slot),
      [caught.slot],
      'one missed slot ran, the latest',
    );
    const all = [...fires(first.events), ...fires(second.events)].map((e) => e.slot!);
    assert.is(new Set(all).size, all.length, 'no slot fired twice');
    const starts = runLog(p, 'start');
    assert.is(new Set(starts).size, starts.length, 'no slot ran twice');
  } finally {
    killDaemons();
    p.cleanup();
  }
});

test('kill -9 and restart, catch_up none: the missed slots do not run', async () => {
  const p = scheduledProject('cron: "* * * * * *"\ncatch_up: none');
  try {
    const { first, lastFired } = await killedAfterARun(p);
    await new Promise((r) => setTimeout(r, 2500));
    const second = startDaemon(p, []);
    const note = await second.waitFor((e) => /missed while the scheduler was down/.test(e.text));
    assert.match(note.text, /: not run \(catch_up: none\)$/);
    const next = await second.waitFor((e) => /: run \(pid \d+\)$/.test(e.text));
    second.child.kill('SIGTERM');
    assert.is((await second.child).exitCode, 0, second.stderr());
    assert.ok(next.at - next.slot! < ON_TIME_MS, 'the first run after the restart is an on-time slot');
    const startedAt = second.events[0]!.at;
    assert.equal(
      ran(second.events).filter((e) => e.slot! < startedAt),
      [],
      'nothing from the downtime ran',
    );
    const all = [...fires(first.events), ...fires(second.events)].map((e) => e.slot!);
    assert.is(new Set(all).size, all.length, 'no slot fired twice');
    assert.ok(runLog(p, 'start').every((s) => s <= lastFired || s >= startedAt));
  } finally {
    killDaemons();
    p.cleanup();
  }
});

test('kill -9 during a run: the restarted daemon adopts the run still going, and overlap applies to it', async () => {
  const p = scheduledProject('cron: "* * * * * *"\noverlap: skip\ncatch_up: latest', 2.5);
  try {
    const first = startDaemon(p, []);
    const started = await first.waitFor((e) => /: run \(pid \d+\)$/.test(e.text));
    const pid = Number(/pid (\d+)/.exec(started.text)![1]);
    first.child.kill('SIGKILL');
    await first.child;
    const second = startDaemon(p, []);
    const adopted = await second.waitFor((e) => /still going/.test(e.text));
    assert.is(
      adopted.text,
      `slot ${new Date(started.slot!).toISOString().replace('.000Z', 'Z')}: the run started before the restart is still going (pid ${pid}); overlap applies to it`,
    );
    const ended = await second.waitFor((e) => e.slot === started.slot && / unknown in /.test(e.text));
    assert.match(ended.text, /: unknown in .*: started before the scheduler restarted; its exit status is unknown; log /);
    const next = await second.waitFor((e) => /: run \(pid \d+(, catch-up)?\)$/.test(e.text));
    second.child.kill('SIGTERM');
    assert.is((await second.child).exitCode, 0, second.stderr());
    const before = second.events.slice(0, second.events.indexOf(ended));
    assert.equal(
      before.filter((e) => /: run \(pid/.test(e.text)),
      [],
      'nothing started while the adopted run was going',
    );
    assert.ok(fires(before).length >= 1 && fires(before).every((e) => /skipped, the run of/.test(e.text)));
    assert.ok(next.at >= ended.at);
    assert.ok(runLog(p, 'end').includes(started.slot!), 'the adopted run reached its end');
    const all = [...fires(first.events), ...fires(second.events)].map((e) => e.slot!);
    assert.is(new Set(all).size, all.length, 'no slot fired twice');
  } finally {
    killDaemons();
    p.cleanup();
  }
});

test.run();
