import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashJson } from '../../engine/hash.ts';
import { formatDiagnostic } from '../../engine/errors.ts';
import { watched, statuses } from './support.ts';

/** Long enough for a self-triggered cycle to show up: debounce, write settling and a run, with margin. */
const QUIET_MS = 800;

const CHAIN = {
  'p.yaml': `steps:
  a:
    uses: exec
    with: { cmd: "mkdir -p out && tr -d ' ' < data/a.txt > out/a.txt", deps: [data/a.txt], outs: [out/a.txt] }
  b:
    uses: exec
    with: { cmd: "mkdir -p out && cat data/b.txt > out/b.txt", deps: [data/b.txt], outs: [out/b.txt] }
  ab:
    uses: exec
    with: { cmd: "cat out/a.txt out/b.txt > out/ab.txt", deps: [out/a.txt, out/b.txt], outs: [out/ab.txt] }
`,
  'data/a.txt': '1\n',
  'data/b.txt': '1\n',
};

test('an edit reruns exactly the affected steps, early cutoff spares dependents, and no run triggers itself', async () => {
  const w = await watched(CHAIN);
  try {
    const first = await w.nextCycle();
    assert.equal(first.trigger, []);
    assert.equal(statuses(first), { a: 'executed', b: 'executed', ab: 'executed' });
    await w.quiet(QUIET_MS);

    w.write('data/a.txt', '2\n');
    const edit = await w.nextCycle();
    assert.equal(edit.trigger, ['data/a.txt']);
    assert.equal(statuses(edit), { a: 'executed', b: 'cached', ab: 'executed' });
    assert.is(readFileSync(join(w.project.dir, 'out/ab.txt'), 'utf8'), '2\n1\n');
    await w.quiet(QUIET_MS);

    // Same output from `a` (the space is stripped): `ab` keeps its key.
    w.write('data/a.txt', '2 \n');
    assert.equal(statuses(await w.nextCycle()), { a: 'executed', b: 'cached', ab: 'cached' });

    // An editor's save: write a temp file, rename it over the original.
    writeFileSync(join(w.project.dir, 'data/.b.txt.tmp'), '3\n');
    renameSync(join(w.project.dir, 'data/.b.txt.tmp'), join(w.project.dir, 'data/b.txt'));
    const saved = await w.nextCycle();
    assert.equal(saved.trigger, ['data/b.txt']);
    assert.equal(statuses(saved), { a: 'cached', b: 'executed', ab: 'executed' });
    await w.quiet(QUIET_MS);
  } finally {
    await w.stop();
  }
});

test('a burst of edits (a checkout of many files) is one cycle', async () => {
  const files: Record<string, string> = {
    'p.yaml': 'steps:\n  count:\n    uses: exec\n    with: { cmd: "mkdir -p out && cat data/many/* | wc -l > out/n.txt", deps: [data/many], outs: [out/n.txt] }\n',
  };
  for (let i = 0; i < 5; i++) files[`data/many/f${i}.txt`] = `${i}\n`;
  const w = await watched(files);
  try {
    await w.nextCycle();
    for (let i = 0; i < 40; i++) w.write(`data/many/f${i}.txt`, `${i} changed\n`);
    const burst = await w.nextCycle();
    assert.is(burst.trigger.length, 40);
    assert.equal(statuses(burst), { count: 'executed' });
    assert.is(readFileSync(join(w.project.dir, 'out/n.txt'), 'utf8').trim(), '40');
    await w.quiet(QUIET_MS);
  } finally {
    await w.stop();
  }
});

test('a failing step reports its error, watching goes on, and fixing the file reruns it', async () => {
  const w = await watched({
    'p.yaml': `steps:
  check: { uses: exec, with: { cmd: "test $(cat data/c.txt) = ok", deps: [data/c.txt] } }
  after: { uses: exec, needs: [check], with: { cmd: "true" } }
`,
    'data/c.txt': 'ok',
  });
  try {
    assert.equal(statuses(await w.nextCycle()), { check: 'executed', after: 'executed' });
    w.write('data/c.txt', 'bad');
    const broken = await w.nextCycle();
    assert.equal(statuses(broken), { check: 'failed', after: 'skipped' });
    assert.is(broken.result.status, 'failed');
    assert.is(broken.result.steps[0]!.error, 'command exited with code 1: test $(cat data/c.txt) = ok');
    w.write('data/c.txt', 'ok\n');
    const fixed = await w.nextCycle();
    assert.equal(fixed.trigger, ['data/c.txt']);
    // `after` only needs `check` to have run: its own key is unchanged.
    assert.equal(statuses(fixed), { check: 'executed', after: 'cached' });
    assert.is(fixed.result.status, 'succeeded');
  } finally {
    await w.stop();
  }
});

test('an invalid edit reports the positioned error and keeps the last valid pipeline', async () => {
  const valid = `steps:
  a: { uses: exec, with: { cmd: "cat data/a.txt", deps: [data/a.txt] } }
  b: { uses: exec, with: { cmd: "cat data/b.txt", deps: [data/b.txt] } }
`;
  const w = await watched({ 'p.yaml': valid, 'data/a.txt': '1', 'data/b.txt': '1' });
  try {
    await w.nextCycle();
    w.write('p.yaml', valid.replace('{ cmd: "cat data/b.txt", deps', '{ cmd: 5, deps'));
    const report = await w.next();
    if (report.kind !== 'invalid') throw new Error(`expected invalid, got ${report.kind}`);
    assert.equal(report.trigger, ['p.yaml']);
    assert.is(
      formatDiagnostic(report.error.diagnostics[0]!, { color: false }),
      [
        `${w.project.dir}/p.yaml:3:33: param \`cmd\` for plugin \`exec\` must be a string or an array, got number 5`,
        '3 |   b: { uses: exec, with: { cmd: 5, deps: [data/b.txt] } }',
        `  | ${' '.repeat(32)}^`,
      ].join('\n'),
    );
    // The last valid pipeline still runs what edits affect.
    w.write('data/b.txt', '2');
    const meanwhile = await w.nextCycle();
    assert.equal(statuses(meanwhile), { b: 'executed' });
    // Back to the valid text: no step differs from the pipeline kept loaded.
    w.write('p.yaml', valid);
    assert.equal(await w.next(), { kind: 'unaffected', trigger: ['p.yaml'] });
    // A real change reruns the step it redefines, and a dep added by it is watched from now on.
    w.write('data/c.txt', '1');
    w.write('p.yaml', valid.replace('deps: [data/a.txt]', 'deps: [data/a.txt, data/c.txt]'));
    assert.equal(statuses(await w.nextCycle()), { a: 'executed' });
    w.write('data/c.txt', '2');
    const added = await w.nextCycle();
    assert.equal(added.trigger, ['data/c.txt']);
    assert.equal(statuses(added), { a: 'executed' });
  } finally {
    await w.stop();
  }
});

test('an edit during a run cancels the obsolete running step only, and queues exactly one follow-up cycle', async () => {
  const w = await watched({
    'p.yaml': `steps:
  slow: { uses: exec, with: { cmd: "touch started-$(cat data/s.txt); sleep 3; mkdir -p out; cp data/s.txt out/s.txt", deps: [data/s.txt], outs: [out/s.txt] } }
  other: { uses: exec, with: { cmd: "sleep 1.5; mkdir -p out; echo done > out/o.txt", outs: [out/o.txt] } }
`,
    'data/s.txt': '1',
  });
  try {
    const started = join(w.project.dir, 'started-1');
    for (const t0 = Date.now(); !existsSync(started); ) {
      if (Date.now() - t0 > 20_000) throw new Error('slow never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    w.write('data/s.txt', '2');
    const first = await w.nextCycle();
    assert.equal(statuses(first), { slow: 'skipped', other: 'executed' });
    assert.equal(first.cancelled, ['slow']);
    assert.is(first.result.status, 'cancelled');
    const followUp = await w.nextCycle();
    assert.equal(followUp.trigger, ['data/s.txt']);
    assert.equal(statuses(followUp), { slow: 'executed' });
    assert.is(readFileSync(join(w.project.dir, 'out/s.txt'), 'utf8'), '2');
    await w.quiet(QUIET_MS);
  } finally {
    await w.stop();
  }
});

test('a YAML edit during a run cancels only the running steps it redefines', async () => {
  const yaml = (slow: string, quick: string) => `steps:
  slow: { uses: exec, with: { cmd: "${slow}" } }
  quick: { uses: exec, with: { cmd: "${quick}" } }
`;
  const w = await watched({ 'p.yaml': yaml('touch started-1; sleep 2', 'echo 1') });
  const waitFor = async (name: string) => {
    for (const t0 = Date.now(); !existsSync(join(w.project.dir, name)); ) {
      if (Date.now() - t0 > 20_000) throw new Error(`${name} never appeared`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await waitFor('started-1');
    // Redefines `quick`, which is done: the running `slow` goes on.
    w.write('p.yaml', yaml('touch started-1; sleep 2', 'echo 2'));
    const first = await w.nextCycle();
    assert.equal(statuses(first), { slow: 'executed', quick: 'executed' });
    assert.equal(first.cancelled, []);
    assert.equal(statuses(await w.nextCycle()), { quick: 'executed' });
    w.write('p.yaml', yaml('touch started-2; sleep 2', 'echo 2'));
    await waitFor('started-2');
    // Redefines the running `slow`: it is cancelled and rerun as now defined.
    w.write('p.yaml', yaml('touch started-3', 'echo 2'));
    const cancelled = await w.nextCycle();
    assert.equal(statuses(cancelled), { slow: 'skipped' });
    assert.equal(cancelled.cancelled, ['slow']);
    assert.equal(statuses(await w.nextCycle()), { slow: 'executed' });
    assert.ok(existsSync(join(w.project.dir, 'started-3')));
    await w.quiet(QUIET_MS);
  } finally {
    await w.stop();
  }
});

test('watching some steps tracks only their inputs', async () => {
  const w = await watched(
    {
      'p.yaml': `steps:
  a: { uses: exec, with: { cmd: "cat data/a.txt", deps: [data/a.txt] } }
  b: { uses: exec, with: { cmd: "cat data/b.txt", deps: [data/b.txt] } }
`,
      'data/a.txt': '1',
      'data/b.txt': '1',
    },
    { targets: ['b'] },
  );
  try {
    assert.equal(statuses(await w.nextCycle()), { b: 'executed' });
    w.write('data/a.txt', '2');
    await w.quiet(QUIET_MS);
    w.write('data/b.txt', '2');
    assert.equal(statuses(await w.nextCycle()), { b: 'executed' });
  } finally {
    await w.stop();
  }
});

test('editing a referenced hyperparameters file reruns the steps that use it', async () => {
  const w = await watched({
    'p.yaml': `steps:
  tuned: { uses: exec, with: { $ref: "hyperparameters/h.yaml#/tuned" } }
  other: { uses: exec, with: { cmd: "true" } }
`,
    'hyperparameters/h.yaml': 'tuned:\n  cmd: echo 1\n',
  });
  try {
    await w.nextCycle();
    w.write('hyperparameters/h.yaml', 'tuned:\n  cmd: echo 2\n');
    const cycle = await w.nextCycle();
    assert.equal(cycle.trigger, ['hyperparameters/h.yaml']);
    assert.equal(statuses(cycle), { tuned: 'executed' });
  } finally {
    await w.stop();
  }
});

test('editing plugin code reruns its steps with the new code; editing its README does nothing', async () => {
  const w = await watched({
    'p.yaml': 'steps:\n  v: { uses: constant }\nplugins:\n  constant: ./plugins/constant\n',
    'plugins/constant/plugin.ts': `import { value } from './value.ts';
export default { name: 'constant', version: '1', description: 'returns a constant', paramsSchema: { type: 'object' }, inputs: {}, outputs: { v: {} },
  async run() { return { v: { kind: 'json', value } }; } };
`,
    'plugins/constant/value.ts': 'export const value = 1;\n',
    'plugins/constant/README.md': 'A constant.\n',
  });
  try {
    const first = await w.nextCycle();
    assert.is(first.result.steps[0]!.outputs.v, hashJson(1));
    w.write('plugins/constant/value.ts', 'export const value = 2;\n');
    const edited = await w.nextCycle();
    assert.equal(edited.trigger, ['plugins/constant/value.ts']);
    assert.equal(statuses(edited), { v: 'executed' });
    assert.is(edited.result.steps[0]!.outputs.v, hashJson(2));
    w.write('plugins/constant/README.md', 'A constant, documented.\n');
    await w.quiet(QUIET_MS);
    w.write('plugins/constant/value.ts', 'export const value = 3;\n');
    assert.is((await w.nextCycle()).result.steps[0]!.outputs.v, hashJson(3));
  } finally {
    await w.stop();
  }
});

test('outs inside a watched folder, and the store, never trigger a cycle', async () => {
  const w = await watched({
    'p.yaml': `steps:
  gen: { uses: exec, with: { cmd: "echo generated > data/gen.txt", outs: [data/gen.txt] } }
  use: { uses: exec, with: { cmd: "mkdir -p out && cat data/* > out/all.txt", deps: [data], outs: [out/all.txt] } }
`,
    'data/x.txt': 'x\n',
  });
  try {
    assert.equal(statuses(await w.nextCycle()), { gen: 'executed', use: 'executed' });
    await w.quiet(QUIET_MS);
    w.write('data/x.txt', 'y\n');
    const edit = await w.nextCycle();
    assert.equal(edit.trigger, ['data/x.txt']);
    assert.equal(statuses(edit), { gen: 'cached', use: 'executed' });
    await w.quiet(QUIET_MS);
  } finally {
    await w.stop();
  }
});

test.run();
