import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import { project, withStatus } from '../helpers/project.ts';
import { objectFiles, waitFor } from '../helpers/store-files.ts';

test('two independent steps run at the same time with --jobs 2', async () => {
  // Each step stamps when it starts and ends: with --jobs 2 the two intervals overlap, on a machine of any speed.
  const step = (id: string) => `  ${id}: { uses: exec, with: { cmd: "date +%s%N > ${id}.start && sleep 2 && date +%s%N > ${id}.end" } }\n`;
  const p = project({ 'p.yaml': `steps:\n${step('a')}${step('b')}` });
  try {
    const r = await p.runJson('p.yaml', ['--jobs', '2']);
    assert.equal(withStatus(r.statuses, 'executed'), ['a', 'b']);
    const stamp = (name: string) => BigInt(readFileSync(join(p.dir, name), 'utf8').trim());
    assert.ok(stamp('a.start') < stamp('b.end') && stamp('b.start') < stamp('a.end'), 'a and b overlapped');
  } finally {
    p.cleanup();
  }
});

test('resource tags limit concurrency: two gpu:1 steps never overlap', async () => {
  const p = project({
    'p.yaml': `steps:
  a: { uses: exec, resources: { gpu: 1 }, with: { cmd: "date +%s%N > a.start; sleep 0.4; date +%s%N > a.end" } }
  b: { uses: exec, resources: { gpu: 1 }, with: { cmd: "date +%s%N > b.start; sleep 0.4; date +%s%N > b.end" } }
`,
  });
  try {
    const r = await p.runJson('p.yaml', ['--jobs', '4']);
    assert.equal(withStatus(r.statuses, 'executed'), ['a', 'b']);
    const t = (f: string) => BigInt(readFileSync(join(p.dir, f), 'utf8').trim());
    const disjoint = t('a.end') <= t('b.start') || t('b.end') <= t('a.start');
    assert.ok(disjoint, 'gpu steps overlapped');
    const both = await p.run(['run', 'p.yaml', '--jobs', '4', '--resource', 'gpu=2', '--force', 'a', '--force', 'b']);
    assert.is(both.code, 0);
    assert.ok(t('a.start') < t('b.end') && t('b.start') < t('a.end'), 'with gpu=2 they overlap');
  } finally {
    p.cleanup();
  }
});

test('Ctrl-C cancels running steps, kills exec children, exits 130 and keeps the cache consistent', async () => {
  const p = project({
    'p.yaml': `steps:
  quick: { uses: exec, with: { cmd: "echo q > quick.txt", outs: [quick.txt] } }
  long: { uses: exec, needs: [quick], with: { cmd: "touch started; sleep 41; touch finished" } }
`,
  });
  try {
    const child = p.spawn(['run', 'p.yaml']);
    await waitFor(() => existsSync(join(p.dir, 'started')), 20_000);
    child.kill('SIGINT');
    const r = await child;
    assert.is(r.exitCode, 130);
    assert.match(String(r.stderr), /cancelling/);
    await new Promise((res) => setTimeout(res, 200));
    assert.is(execSync('pgrep -f "slee[p] 41" || true').toString().trim(), '', 'the command was killed');
    const status = await p.run(['status', 'p.yaml']);
    assert.match(status.stdout, /quick +up-to-date/);
    assert.match(status.stdout, /long +stale +never run/);
  } finally {
    p.cleanup();
  }
});

// The holder outlasts a second CLI's start-up on a loaded machine (2 s and more with 2 busy cores).
test('a second run waits for the project lock and says so', async () => {
  const p = project({
    'p.yaml': 'steps:\n  a: { uses: exec, with: { cmd: "touch started; sleep 5" } }\n',
    'q.yaml': 'steps:\n  b: { uses: exec, with: { cmd: "true" } }\n',
  });
  try {
    const first = p.spawn(['run', 'p.yaml']);
    await waitFor(() => existsSync(join(p.dir, 'started')), 20_000);
    const second = await p.run(['run', 'q.yaml']);
    assert.is(second.code, 0);
    assert.match(second.stderr, /waiting for the project lock .*\.tradepipe\/lock, held by pid \d+ \(tradepipe run p\.yaml\)/);
    assert.is((await first).exitCode, 0);
  } finally {
    p.cleanup();
  }
});

test('gc removes objects no kept run references and keeps what the latest runs need', async () => {
  const p = project({ 'p.yaml': 'steps:\n  a: { uses: exec, with: { cmd: "echo ${vars.v} > a.txt", outs: [a.txt] } }\nvars: { v: 1 }\n' });
  try {
    for (const v of [1, 2, 3]) await p.run(['run', 'p.yaml', '--set', `a.cmd=echo ${v} > a.txt`]);
    assert.is(objectFiles(p.dir).length, 3);
    const dry = await p.run(['gc', '.', '--keep', '1', '--dry-run']);
    assert.is(dry.stdout.trim(), 'would remove 2 objects (4 B), 2 records, 2 run logs; kept 1 runs');
    assert.is(objectFiles(p.dir).length, 3);
    const gc = await p.run(['gc', '.', '--keep', '1']);
    assert.is(gc.stdout.trim(), 'removed 2 objects (4 B), 2 records, 2 run logs; kept 1 runs');
    assert.is(objectFiles(p.dir).length, 1);
    assert.is(readdirSync(join(p.dir, '.tradepipe', 'events')).length, 1, "a dropped run's event stream goes with it");
    const r = await p.runJson('p.yaml', ['--set', 'a.cmd=echo 3 > a.txt']);
    assert.equal(r.statuses, { a: 'cached' });
  } finally {
    p.cleanup();
  }
});

test.run();
