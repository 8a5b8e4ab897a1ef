/** A step's `retries:` in a local run: a failing step is attempted again, waiting longer each time, and bad values are refused. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { retryDelayMs } from '../../engine/retry.ts';
import { project } from '../helpers/project.ts';

const FILE = 'pipelines.d/flaky.yaml';

/** Fails until the counter file says two attempts came before it. */
const flaky = (retries: string) => `steps:
  flaky:
    uses: exec
${retries}    with: { cmd: "n=$(cat count.txt 2>/dev/null || echo 0); echo $((n+1)) > count.txt; test $n -ge 2 && mkdir -p out && echo ok > out/flaky.txt", outs: [out/flaky.txt] }
`;

test('retries: 2 runs a step that fails twice three times, with a warning for each failed attempt', async () => {
  const p = project({ [FILE]: flaky('    retries: 2\n') });
  try {
    const run = await p.runJson(FILE);
    assert.is(run.code, 0, run.stderr);
    assert.equal(run.statuses, { flaky: 'executed' });
    assert.is(readFileSync(join(p.dir, 'count.txt'), 'utf8'), '3\n');
    const warnings = run.stderr.match(/^ {4}flaky warning: .*$/gm) ?? [];
    assert.is(warnings.length, 2, run.stderr);
    assert.match(warnings[0]!, /attempt 1 of 3 failed: command exited with code 1: .*; retrying in 1\.0 s$/);
    assert.match(warnings[1]!, /attempt 2 of 3 failed: command exited with code 1: .*; retrying in 2\.0 s$/);
  } finally {
    p.cleanup();
  }
});

test('a step fails once its retries are spent; without retries: it is attempted once', async () => {
  for (const [retries, attempts] of [
    ['    retries: 1\n', 2],
    ['', 1],
  ] as const) {
    const p = project({ [FILE]: flaky(retries) });
    try {
      const run = await p.runJson(FILE);
      assert.is(run.code, 1, run.stderr);
      assert.equal(run.statuses, { flaky: 'failed' });
      assert.match(run.result.steps[0]!.error!, /^command exited with code 1: /);
      assert.is(readFileSync(join(p.dir, 'count.txt'), 'utf8'), `${attempts}\n`);
    } finally {
      p.cleanup();
    }
  }
});

test('a bad retries: value is refused with its position and what was expected', async () => {
  for (const [value, expected] of [
    ['-1', 'must be >= 0'],
    ['21', 'must be <= 20'],
    ['two', 'must be an integer, got string "two"'],
    ['1.5', 'must be an integer, got number 1.5'],
  ] as const) {
    const p = project({ [FILE]: flaky(`    retries: ${value}\n`) });
    try {
      const run = await p.run(['run', FILE]);
      assert.is(run.code, 2, run.stderr);
      assert.ok(run.stderr.includes(`pipelines.d/flaky.yaml:4:14: field \`steps.flaky.retries\` ${expected}`), run.stderr);
    } finally {
      p.cleanup();
    }
  }
});

test('the wait before each retry doubles from 1 s up to 30 s, as in the Temporal retry policy', () => {
  assert.equal([1, 2, 3, 4, 5, 6, 7].map(retryDelayMs), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

test.run();
