import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { project, BIN } from '../helpers/project.ts';

const PIPELINE = {
  'p.yaml': `steps:
  a: { uses: exec, with: { cmd: "mkdir -p out && cat data/a.txt > out/a.txt", deps: [data/a.txt], outs: [out/a.txt] } }
  b: { uses: exec, with: { cmd: "echo b" } }
`,
  'data/a.txt': '1\n',
};

/** Watch processes still running: a failed assertion must not leave one holding this test process open. */
const live = new Set<ReturnType<typeof execa>>();

function spawnWatch(dir: string, args: string[]) {
  const child = execa(BIN, ['watch', 'p.yaml', '--debounce', '100', ...args], { cwd: dir, reject: false, env: { NO_COLOR: '1' } });
  live.add(child);
  void child.finally(() => live.delete(child));
  return child;
}

test.after.each(async () => {
  for (const child of live) child.kill('SIGKILL');
  await Promise.all(live);
});

/** A duration as formatDuration prints it: `12 ms`, or `1.3 s` when the machine is slow. */
const D = String.raw`\d+(?:\.\d)? m?s`;

/** Resolves with the stream's lines once `count` of them match. */
function linesOf(stream: NodeJS.ReadableStream, match: RegExp) {
  let text = '';
  const found: string[] = [];
  const waiters: { count: number; resolve: (lines: string[]) => void }[] = [];
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    const lines = text.split('\n');
    text = lines.pop()!;
    for (const line of lines) if (match.test(line)) found.push(line);
    for (const w of waiters.filter((w) => found.length >= w.count)) w.resolve(found.slice());
  });
  return (count: number, ms = 20_000) =>
    new Promise<string[]>((resolve, reject) => {
      if (found.length >= count) return resolve(found.slice());
      const timer = setTimeout(() => reject(new Error(`only ${found.length} of ${count} lines within ${ms} ms: ${JSON.stringify(found)}`)), ms);
      waiters.push({ count, resolve: (lines) => (clearTimeout(timer), resolve(lines)) });
    });
}

test('watch --json: one line per cycle, shaped like `run --json` plus `trigger`; Ctrl-C stops it', async () => {
  const p = project(PIPELINE);
  try {
    const run = await p.runJson('p.yaml');
    p.write('data/a.txt', '2\n');
    const child = spawnWatch(p.dir, ['--json']);
    const cycles = linesOf(child.stdout!, /^\{/);
    const [start] = await cycles(1);
    const first = JSON.parse(start!) as Record<string, unknown>;
    assert.equal(Object.keys(first).sort(), [...Object.keys(run.result), 'trigger'].sort());
    assert.equal(first.trigger, []);
    assert.equal((first.steps as { id: string; status: string }[]).map((s) => [s.id, s.status]), [['a', 'executed'], ['b', 'cached']]);
    p.write('data/a.txt', '3\n');
    const [, edit] = await cycles(2);
    const second = JSON.parse(edit!) as { trigger: string[]; status: string; steps: { id: string; status: string }[] };
    assert.equal(second.trigger, ['data/a.txt']);
    assert.is(second.status, 'succeeded');
    assert.equal(second.steps.map((s) => [s.id, s.status]), [['a', 'executed']]);
    child.kill('SIGINT');
    const done = await child;
    assert.is(done.exitCode, 130, done.stderr);
    assert.is(done.stdout.trim().split('\n').length, 2);
  } finally {
    p.cleanup();
  }
});

test('watch: a compact line per cycle; an invalid edit shows the positioned error', async () => {
  const p = project(PIPELINE);
  try {
    const child = spawnWatch(p.dir, []);
    const lines = linesOf(child.stderr!, /^\[\d\d:\d\d:\d\d\] /);
    const [start] = await lines(1);
    assert.match(start!, new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] start -> ran a ${D}, b ${D} · 0 cached · ${D}$`));
    p.write('data/a.txt', '2\n');
    const [, edit] = await lines(2);
    assert.match(edit!, new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] data/a\\.txt -> ran a ${D} · 0 cached · ${D}$`));
    p.write('p.yaml', PIPELINE['p.yaml'].replace('echo b', 'echo b2').replace('uses: exec, with: { cmd: "echo b2"', 'uses: exce, with: { cmd: "echo b2"'));
    const [, , invalid] = await lines(3);
    assert.match(invalid!, /^\[\d\d:\d\d:\d\d\] p\.yaml -> invalid; keeping the last valid pipeline$/);
    p.write('p.yaml', PIPELINE['p.yaml'].replace('echo b', 'echo b2'));
    const [, , , fixed] = await lines(4);
    assert.match(fixed!, new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] p\\.yaml -> ran b ${D} · 0 cached · ${D}$`));
    child.kill('SIGINT');
    const done = await child;
    assert.is(done.exitCode, 130);
    assert.ok(done.stderr.includes('error TP0101: p.yaml:3:14: unknown plugin `exce`'), done.stderr);
    assert.ok(done.stderr.includes('3 |   b: { uses: exce, with: { cmd: "echo b2" } }\n  |              ^^^^'), done.stderr);
  } finally {
    p.cleanup();
  }
});

test('watch without a TTY: SIGTERM during a step kills the step\'s command and exits 143; SIGINT exits 130', async () => {
  const p = project({ 'p.yaml': 'steps:\n  long: { uses: exec, with: { cmd: "touch started; sleep 43" } }\n' });
  try {
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const child = spawnWatch(p.dir, []);
      const t0 = Date.now();
      while (!existsSync(join(p.dir, 'started'))) {
        if (Date.now() - t0 > 20_000) throw new Error('the step never started');
        await new Promise((r) => setTimeout(r, 25));
      }
      child.kill(signal);
      const done = await child;
      assert.is(done.exitCode, code, `${signal}: ${done.stderr}`);
      assert.is(execSync('pgrep -f "slee[p] 43" || true').toString().trim(), '', `${signal}: the command was killed`);
      execSync(`rm -f ${JSON.stringify(join(p.dir, 'started'))}`);
    }
  } finally {
    p.cleanup();
  }
});

test.run();
