import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { project, REPO, withStatus } from '../helpers/project.ts';

const EXAMPLE = `pipeline: example
steps:
  raw:
    uses: exec
    with:
      cmd: mkdir -p out && echo \${vars.n} > out/raw.txt
      outs: [out/raw.txt]
  double:
    uses: exec
    with:
      cmd: awk '{print $1*2}' out/raw.txt > out/double.txt
      deps: [out/raw.txt]
      outs: [out/double.txt]
  report:
    uses: exec
    needs: [double]
    with: { cmd: cat out/double.txt, outs: [] }
vars:
  n: 21
`;

test('first run executes everything; a rerun executes nothing', async () => {
  const p = project({ 'pipelines.d/example.yaml': EXAMPLE });
  try {
    const first = await p.runJson('pipelines.d/example.yaml');
    assert.is(first.code, 0);
    assert.equal(withStatus(first.statuses, 'executed'), ['double', 'raw', 'report']);
    assert.is(readFileSync(join(p.dir, 'out/double.txt'), 'utf8'), '42\n');
    const again = await p.runJson('pipelines.d/example.yaml');
    assert.equal(withStatus(again.statuses, 'cached'), ['double', 'raw', 'report']);
    assert.is(again.result.steps.find((s) => s.id === 'raw')!.reason, 'up to date');
  } finally {
    p.cleanup();
  }
});

test('changing one param reruns exactly that step and its dependents, with the reason', async () => {
  const p = project({
    'pipelines.d/p.yaml': `steps:
  a: { uses: exec, with: { cmd: "mkdir -p out && echo 1 > out/a", outs: [out/a] } }
  b: { uses: exec, with: { cmd: "mkdir -p out && echo 2 > out/b", outs: [out/b] } }
  c: { uses: exec, with: { cmd: "cat out/b > out/c", deps: [out/b], outs: [out/c] } }
`,
  });
  try {
    await p.runJson('pipelines.d/p.yaml');
    const status = await p.run(['status', 'pipelines.d/p.yaml', '--set', 'b.cmd=mkdir -p out && echo 3 > out/b']);
    assert.match(status.stdout, /b +stale +param `cmd` "mkdir -p out && echo 2 > out\/b"→"mkdir -p out && echo 3 > out\/b"/);
    assert.match(status.stdout, /c +stale +upstream `b` will run/);
    assert.match(status.stdout, /a +up-to-date/);
    const r = await p.runJson('pipelines.d/p.yaml', ['--set', 'b.cmd=mkdir -p out && echo 3 > out/b']);
    assert.equal(withStatus(r.statuses, 'executed'), ['b', 'c']);
    assert.equal(withStatus(r.statuses, 'cached'), ['a']);
    assert.is(r.result.steps.find((s) => s.id === 'c')!.reason, 'file `out/b` changed');
  } finally {
    p.cleanup();
  }
});

test('early cutoff: an upstream rerun with identical bytes leaves dependents cached', async () => {
  const p = project({
    'pipelines.d/p.yaml': `plugins: { add: ${JSON.stringify(join(process.cwd(), 'tests/fixtures/engine/plugins/add.ts'))} }
steps:
  src: { uses: add, with: { amount: 10, modulo: 4 } }
  down: { uses: add, inputs: { x: src.value }, with: { amount: 1 } }
`,
  });
  try {
    const first = await p.runJson('pipelines.d/p.yaml');
    assert.is(first.code, 0, first.stderr);
    // 10 % 4 == 2 == 6 % 4: src reruns, its output bytes are identical, down stays cached.
    const r = await p.runJson('pipelines.d/p.yaml', ['--set', 'src.amount=6']);
    assert.equal(r.statuses, { src: 'executed', down: 'cached' });
    assert.is(r.result.steps[0]!.outputs.value, first.result.steps[0]!.outputs.value);
    const show = await p.run(['show', 'pipelines.d/p.yaml', 'down.value']);
    assert.is(show.stdout.trim(), '3');
  } finally {
    p.cleanup();
  }
});

test('returning to old params restores old outputs without recomputing', async () => {
  const p = project({ 'pipelines.d/example.yaml': EXAMPLE });
  try {
    await p.runJson('pipelines.d/example.yaml');
    const changed = await p.runJson('pipelines.d/example.yaml', ['--set', 'raw.cmd=mkdir -p out && echo 5 > out/raw.txt']);
    assert.equal(withStatus(changed.statuses, 'executed'), ['double', 'raw']);
    assert.is(readFileSync(join(p.dir, 'out/double.txt'), 'utf8'), '10\n');
    const back = await p.runJson('pipelines.d/example.yaml');
    assert.equal(withStatus(back.statuses, 'cached'), ['double', 'raw', 'report']);
    assert.match(back.result.steps.find((s) => s.id === 'raw')!.reason, /^outputs of an earlier run/);
    assert.is(readFileSync(join(p.dir, 'out/double.txt'), 'utf8'), '42\n', 'outs restored into the workspace');
  } finally {
    p.cleanup();
  }
});

test('a deleted out is restored from the cache on a hit, like dvc checkout', async () => {
  const p = project({ 'pipelines.d/example.yaml': EXAMPLE });
  try {
    await p.runJson('pipelines.d/example.yaml');
    unlinkSync(join(p.dir, 'out/double.txt'));
    const r = await p.runJson('pipelines.d/example.yaml');
    assert.equal(withStatus(r.statuses, 'cached'), ['double', 'raw', 'report']);
    assert.is(readFileSync(join(p.dir, 'out/double.txt'), 'utf8'), '42\n');
  } finally {
    p.cleanup();
  }
});

test('editing a file dep reruns the step that reads it', async () => {
  const p = project({
    'data/in.txt': '7\n',
    'pipelines.d/p.yaml': `steps:
  read: { uses: exec, with: { cmd: "mkdir -p out && cat data/in.txt > out/copy", deps: [data/in.txt], outs: [out/copy] } }
  other: { uses: exec, with: { cmd: "true" } }
`,
  });
  try {
    await p.runJson('pipelines.d/p.yaml');
    writeFileSync(join(p.dir, 'data/in.txt'), '8\n');
    const status = await p.run(['status', 'pipelines.d/p.yaml']);
    assert.match(status.stdout, /read +stale +file `data\/in.txt` changed/);
    const r = await p.runJson('pipelines.d/p.yaml');
    assert.equal(r.statuses, { read: 'executed', other: 'cached' });
  } finally {
    p.cleanup();
  }
});

test('targets, --from and --force select what runs', async () => {
  const p = project({ 'pipelines.d/example.yaml': EXAMPLE });
  try {
    const only = await p.runJson('pipelines.d/example.yaml', ['double']);
    assert.equal(only.statuses, { raw: 'executed', double: 'executed' });
    const from = await p.runJson('pipelines.d/example.yaml', ['--from', 'double']);
    assert.equal(from.statuses, { raw: 'cached', double: 'executed', report: 'executed' });
    assert.is(from.result.steps[1]!.reason, 'forced');
    const force = await p.runJson('pipelines.d/example.yaml', ['--force', 'raw']);
    // raw reruns and writes the same bytes: double and report stay cached.
    assert.equal(force.statuses, { raw: 'executed', double: 'cached', report: 'cached' });
    const unknown = await p.run(['run', 'pipelines.d/example.yaml', '--from', 'dubble']);
    assert.is(unknown.code, 2);
    assert.match(unknown.stderr, /unknown step `dubble`/);
  } finally {
    p.cleanup();
  }
});

test('dry-run plans without running or writing outs', async () => {
  const p = project({ 'pipelines.d/example.yaml': EXAMPLE });
  try {
    const r = await p.run(['run', 'pipelines.d/example.yaml', '--dry-run', '--json']);
    assert.is(r.code, 0);
    const plan = JSON.parse(r.stdout) as { steps: { id: string; status: string; reason: string }[] };
    assert.equal(plan.steps.map((s) => [s.id, s.status, s.reason]), [
      ['raw', 'stale', 'never run'],
      ['double', 'stale', 'upstream `raw` will run'],
      ['report', 'stale', 'upstream `double` will run'],
    ]);
    assert.not.ok(existsSync(join(p.dir, 'out')));
  } finally {
    p.cleanup();
  }
});

test('fail-fast stops the run; --keep-going runs what does not depend on the failure', async () => {
  const p = project({
    'pipelines.d/p.yaml': `steps:
  bad: { uses: exec, with: { cmd: "echo boom >&2; exit 3" } }
  after: { uses: exec, needs: [bad], with: { cmd: "true" } }
  slow: { uses: exec, with: { cmd: "sleep 0.5" } }
  later: { uses: exec, needs: [slow], with: { cmd: "true" } }
`,
  });
  try {
    const ff = await p.runJson('pipelines.d/p.yaml', ['--jobs', '2']);
    assert.is(ff.code, 1);
    assert.is(ff.statuses.bad, 'failed');
    assert.is(ff.statuses.after, 'skipped');
    assert.is(ff.statuses.later, 'skipped');
    assert.is(ff.result.steps[0]!.error, 'command exited with code 3: echo boom >&2; exit 3');
    const kg = await p.runJson('pipelines.d/p.yaml', ['--jobs', '2', '--keep-going']);
    assert.is(kg.code, 1);
    assert.equal(kg.statuses, { bad: 'failed', slow: 'executed', after: 'skipped', later: 'executed' });
    assert.is(kg.result.steps.find((s) => s.id === 'after')!.reason, 'upstream `bad` did not complete');
  } finally {
    p.cleanup();
  }
});

test('dag prints text, dot, mermaid and json', async () => {
  const p = project({ 'pipelines.d/example.yaml': EXAMPLE });
  try {
    const text = await p.run(['dag', 'pipelines.d/example.yaml']);
    assert.is(text.stdout, 'raw     exec\ndouble  exec  <- raw\nreport  exec  <- double');
    const dot = await p.run(['dag', 'pipelines.d/example.yaml', '--format', 'dot']);
    assert.match(dot.stdout, /"raw" -> "double";/);
    assert.match(dot.stdout, /"double" -> "report" \[style=dashed\];/);
    const mermaid = await p.run(['dag', 'pipelines.d/example.yaml', '--format', 'mermaid']);
    assert.match(mermaid.stdout, /^graph LR/);
    assert.match(mermaid.stdout, /s0 --> s1/);
    assert.match(mermaid.stdout, /s1 -.-> s2/);
    const json = JSON.parse((await p.run(['dag', 'pipelines.d/example.yaml', '--format', 'json'])).stdout);
    assert.equal(json.edges, [
      { from: 'raw', to: 'double', kinds: ['file'] },
      { from: 'double', to: 'report', kinds: ['needs'] },
    ]);
  } finally {
    p.cleanup();
  }
});

test('$ref into config files, ${vars}, and --set overrides', async () => {
  const p = project({
    'hyperparameters/h.yaml': 'base:\n  amount: 5\n  modulo: 100\n',
    'pipelines.d/p.yaml': `plugins: { add: ${JSON.stringify(join(process.cwd(), 'tests/fixtures/engine/plugins/add.ts'))} }
vars: { bump: 2 }
steps:
  a: { uses: add, with: { $ref: "hyperparameters/h.yaml#/base", modulo: 7 } }
  b: { uses: add, inputs: { x: a.value }, with: { amount: "\${vars.bump}" } }
`,
  });
  try {
    const r = await p.runJson('pipelines.d/p.yaml');
    assert.is(r.code, 0, r.stderr);
    assert.is((await p.run(['show', 'pipelines.d/p.yaml', 'b'])).stdout.trim(), '7');
    await p.runJson('pipelines.d/p.yaml', ['--set', 'a.amount=6']);
    assert.is((await p.run(['show', 'pipelines.d/p.yaml', 'b.value'])).stdout.trim(), '8');
  } finally {
    p.cleanup();
  }
});

test('the remembered pipeline spec follows edits of referenced files, and errors still point at their line', async () => {
  const p = project({
    'hyperparameters/h.yaml': 'base:\n  amount: 5\n',
    'pipelines.d/p.yaml': `plugins: { add: ${JSON.stringify(join(REPO, 'tests/fixtures/engine/plugins/add.ts'))} }
steps:
  a: { uses: add, with: { $ref: "hyperparameters/h.yaml#/base" } }
`,
  });
  try {
    await p.runJson('pipelines.d/p.yaml');
    assert.ok(readdirSync(join(p.dir, '.tradepipe/specs')).length === 1, 'the resolved spec is remembered');
    p.write('hyperparameters/h.yaml', 'base:\n  amount: 6\n');
    const r = await p.runJson('pipelines.d/p.yaml');
    assert.equal(r.statuses, { a: 'executed' });
    assert.is((await p.run(['show', 'pipelines.d/p.yaml', 'a'])).stdout.trim(), '6');
    p.write('hyperparameters/h.yaml', 'base:\n  amount: six\n');
    const bad = await p.run(['validate', 'pipelines.d/p.yaml']);
    assert.is(bad.code, 2);
    assert.ok(bad.stderr.startsWith('error TP0104: hyperparameters/h.yaml:2:11: param `amount` for plugin `add` must be a number, got string "six"'), bad.stderr);
  } finally {
    p.cleanup();
  }
});

test('secrets handed to a plugin are masked in its logs', async () => {
  const p = project({
    'pipelines.d/p.yaml': `plugins: { add: ${JSON.stringify(join(process.cwd(), 'tests/fixtures/engine/plugins/add.ts'))} }
steps:
  a: { uses: add, with: { amount: 1, secret_log: true } }
`,
  });
  try {
    const r = await p.run(['run', 'pipelines.d/p.yaml'], { env: { TEST_API_KEY: 'sk-very-secret-123' } });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /using key \*\*\*/);
    assert.not.match(r.stderr, /sk-very-secret-123/);
  } finally {
    p.cleanup();
  }
});

test('init scaffolds a project that runs immediately', async () => {
  const p = project();
  try {
    unlinkSync(join(p.dir, 'tradepipe.yaml'));
    const init = await p.run(['init', '.']);
    assert.is(init.code, 0, init.stderr);
    const r = await p.runJson('pipelines.d/example.yaml');
    assert.is(r.code, 0, r.stderr);
    assert.equal(withStatus(r.statuses, 'executed'), ['double', 'raw', 'report', 'scaled']);
    assert.is((await p.run(['show', 'pipelines.d/example.yaml', 'scaled'])).stdout.trim(), '84');
    const again = await p.run(['init', '.']);
    assert.is(again.code, 2);
    assert.match(again.stderr, /refusing to overwrite existing files/);
  } finally {
    p.cleanup();
  }
});

test('always_run reruns a source every time but spares its dependents when the bytes are the same; cache: false never reuses', async () => {
  const p = project({
    'p.yaml': `steps:
  source: { uses: exec, always_run: true, with: { cmd: "echo fixed > src.txt", outs: [src.txt] } }
  use: { uses: exec, with: { cmd: "cat src.txt > use.txt", deps: [src.txt], outs: [use.txt] } }
  stamp: { uses: exec, cache: false, with: { cmd: "date +%s%N > stamp.txt", outs: [stamp.txt] } }
`,
  });
  try {
    await p.runJson('p.yaml');
    const again = await p.runJson('p.yaml');
    assert.equal(again.statuses, { source: 'executed', use: 'cached', stamp: 'executed' });
    const reason = (id: string) => again.result.steps.find((s) => s.id === id)!.reason;
    assert.equal([reason('source'), reason('use'), reason('stamp')], ['always_run', 'up to date', 'cache: false']);
  } finally {
    p.cleanup();
  }
});

test('user plugins from an npm package, and a TypeScript file in a project without "type": "module"', async () => {
  const plugin = (name: string) => `export default { name: '${name}', version: '1', description: 'd', inputs: {}, outputs: { value: {} }, paramsSchema: { type: 'object' },
  async run() { return { value: { kind: 'json', value: '${name}' } }; } };\n`;
  const p = project({
    'node_modules/tradepipe-plugin-hello/package.json': '{ "name": "tradepipe-plugin-hello", "version": "1.0.0", "main": "index.mjs" }',
    'node_modules/tradepipe-plugin-hello/index.mjs': plugin('hello'),
    'plugins/local.ts': plugin('local'),
    'p.yaml': 'plugins: { hello: tradepipe-plugin-hello, local: ./plugins/local.ts }\nsteps:\n  a: { uses: hello }\n  b: { uses: local }\n',
  });
  try {
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 0, r.stderr);
    assert.is((await p.run(['show', 'p.yaml', 'a'])).stdout.trim(), '"hello"');
    assert.is((await p.run(['show', 'p.yaml', 'b'])).stdout.trim(), '"local"');
  } finally {
    p.cleanup();
  }
});

test('editing shared code a plugin imports (outside its folder) reruns its steps; a README edit does not', async () => {
  const p = project({
    'package.json': '{ "type": "module" }',
    'lib/rate.ts': 'export const RATE = 2;\n',
    'plugins/mul/plugin.ts': `import { RATE } from '../../lib/rate.ts';
export default {
  name: 'mul', version: '1', description: 'RATE * n', inputs: {}, outputs: { value: {} },
  paramsSchema: { type: 'object', properties: { n: { type: 'number' } } },
  async run(_ctx: unknown, params: { n: number }) { return { value: { kind: 'json', value: RATE * params.n } }; },
};
`,
    'plugins/mul/README.md': 'mul\n',
    'p.yaml': 'plugins: { mul: ./plugins/mul }\nsteps:\n  m: { uses: mul, with: { n: 21 } }\n',
  });
  try {
    assert.equal((await p.runJson('p.yaml')).statuses, { m: 'executed' });
    p.write('plugins/mul/README.md', 'mul, documented\n');
    assert.equal((await p.runJson('p.yaml')).statuses, { m: 'cached' });
    p.write('lib/rate.ts', 'export const RATE = 3;\n');
    const r = await p.runJson('p.yaml');
    assert.equal(r.statuses, { m: 'executed' });
    assert.is(r.result.steps[0]!.reason, 'plugin code changed');
    assert.is((await p.run(['show', 'p.yaml', 'm'])).stdout.trim(), '63');
  } finally {
    p.cleanup();
  }
});

test('`--help` is printed by the CLI once, then from the help cache with the same bytes', async () => {
  const helpCache = join(REPO, 'node_modules', '.cache', 'tradepipe', 'help');
  rmSync(helpCache, { recursive: true, force: true });
  const p = project();
  try {
    const printed = await p.run(['--help']);
    assert.is(printed.code, 0, printed.stderr);
    assert.ok(printed.stdout.startsWith('Usage: tradepipe [options] [command]\n'));
    const kept = readdirSync(helpCache).map((f) => (JSON.parse(readFileSync(join(helpCache, f), 'utf8')) as { text: string }).text);
    assert.equal(kept, [`${printed.stdout}\n`]); // execa drops the final newline
    const cached = await p.run(['--help']);
    assert.is(cached.code, 0, cached.stderr);
    assert.is(cached.stdout, printed.stdout);
    assert.is((await p.run(['-h'])).stdout, printed.stdout);
  } finally {
    p.cleanup();
  }
});

test.run();
