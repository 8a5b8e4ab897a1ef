import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { project, REPO } from '../helpers/project.ts';

const ADD = JSON.stringify(join(REPO, 'tests/fixtures/engine/plugins/add.ts'));

/** Each case: a pipeline file and the exact first diagnostic `validate` and `run` print. */
const CASES: [string, string, string][] = [
  ['YAML syntax', 'steps:\n  a: { uses: exec, with: { cmd: x }\n  b: 1\n', 'error TP0001: p.yaml:3:3: Flow map in block collection must be sufficiently indented and end with a }\n3 |   b: 1\n  |   ^'],
  ['unknown plugin', 'steps:\n  a:\n    uses: exce\n    with: { cmd: x }\n', 'error TP0101: p.yaml:3:11: unknown plugin `exce` (did you mean `exec`?)\n3 |     uses: exce\n  |           ^^^^'],
  ['unknown param', 'steps:\n  a:\n    uses: exec\n    with: { cmd: x, depz: [] }\n', 'error TP0102: p.yaml:4:21: unknown param `depz` for plugin `exec` (did you mean `deps`?)'],
  ['missing param', 'steps:\n  a:\n    uses: exec\n    with: { outs: [] }\n', 'error TP0103: p.yaml:4:5: missing required param `cmd` for plugin `exec`'],
  ['wrong-typed param', 'steps:\n  a:\n    uses: exec\n    with:\n      cmd: x\n      deps: data.csv\n', 'error TP0104: p.yaml:6:13: param `deps` for plugin `exec` must be an array, got string "data.csv"'],
  ['unknown input port', 'steps:\n  a: { uses: exec, with: { cmd: x } }\n  b:\n    uses: exec\n    inputs: { x: a.y }\n    with: { cmd: x }\n', 'error TP0200: p.yaml:5:15: unknown input `x` for plugin `exec`; inputs: none'],
  ['dangling input', `plugins: { add: ${ADD} }\nsteps:\n  a: { uses: add, with: { amount: 1 } }\n  b:\n    uses: add\n    inputs: { x: a.valu }\n    with: { amount: 1 }\n`, 'error TP0202: p.yaml:6:18: dangling input reference `a.valu`: step `a` has no output `valu` (did you mean `value`?)'],
  ['dangling input step', `plugins: { add: ${ADD} }\nsteps:\n  a: { uses: add, with: { amount: 1 } }\n  b:\n    uses: add\n    inputs: { x: c.value }\n    with: { amount: 1 }\n`, 'error TP0202: p.yaml:6:18: dangling input reference `c.value`: no step `c`'],
  ['duplicate step id', 'steps:\n  a: { uses: exec, with: { cmd: x } }\n  a: { uses: exec, with: { cmd: y } }\n', 'error TP0303: p.yaml:3:3: duplicate step id `a` (first defined on line 2)'],
  ['two steps writing one out', 'steps:\n  a: { uses: exec, with: { cmd: x, outs: [o.txt] } }\n  b: { uses: exec, with: { cmd: y, outs: [o.txt] } }\n', 'error TP0205: p.yaml:3:43: out `o.txt` of step `b` is also written by step `a` (line 2): two steps may not write the same path'],
  ['cycle', 'steps:\n  a: { uses: exec, needs: [c], with: { cmd: x } }\n  b: { uses: exec, needs: [a], with: { cmd: x } }\n  c: { uses: exec, needs: [b], with: { cmd: x } }\n', 'error TP0206: p.yaml:2:3: cycle: a -> b -> c -> a'],
  ['unknown field', 'steps:\n  a: { uses: exec, nedds: [b], with: { cmd: x } }\n', 'error TP0110: p.yaml:2:20: unknown field `steps.a.nedds` (did you mean `needs`?)'],
  ['unknown needs', 'steps:\n  a: { uses: exec, needs: [bb], with: { cmd: x } }\n  b: { uses: exec, with: { cmd: x } }\n', 'error TP0204: p.yaml:2:28: step `a` needs unknown step `bb` (did you mean `b`?)'],
  ['missing $ref target', 'steps:\n  a:\n    uses: exec\n    with: { $ref: "config/nope.yaml#/x" }\n', 'error TP0002: p.yaml:4:19: cannot read `config/nope.yaml`: no such file'],
];

for (const [name, yaml, expected] of CASES) {
  test(`bad input: ${name}`, async () => {
    const p = project({ 'p.yaml': yaml });
    try {
      const v = await p.run(['validate', 'p.yaml']);
      assert.is(v.code, 2);
      assert.ok(v.stderr.startsWith(expected), `expected stderr to start with:\n${expected}\ngot:\n${v.stderr}`);
      const r = await p.run(['run', 'p.yaml']);
      assert.is(r.code, 2);
      assert.ok(r.stderr.startsWith(expected));
      assert.not.ok(existsSync(join(p.dir, '.tradepipe')), 'nothing written');
    } finally {
      p.cleanup();
    }
  });
}

test('bad input: an error inside a $ref file names that file', async () => {
  const p = project({
    'hyperparameters/h.yaml': 'base:\n  cmd: x\n  outz: []\n',
    'p.yaml': 'steps:\n  a:\n    uses: exec\n    with: { $ref: "hyperparameters/h.yaml#/base" }\n',
  });
  try {
    const v = await p.run(['validate', 'p.yaml']);
    assert.is(v.code, 2);
    assert.ok(v.stderr.startsWith('error TP0102: hyperparameters/h.yaml:3:3: unknown param `outz` for plugin `exec` (did you mean `outs`?)'), v.stderr);
  } finally {
    p.cleanup();
  }
});

test('bad input: --set on an unknown step', async () => {
  const p = project({ 'p.yaml': 'steps:\n  train: { uses: exec, with: { cmd: x } }\n' });
  try {
    const r = await p.run(['run', 'p.yaml', '--set', 'trian.cmd=y']);
    assert.is(r.code, 2);
    assert.is(r.stderr.trim(), 'error TP0301: --set trian.cmd=y: unknown step `trian` (did you mean `train`?); expected `step.param=value`');
    const t = await p.run(['run', 'p.yaml', '--set', 'train.cmd=']);
    assert.is(t.code, 2);
    assert.match(t.stderr, /error TP0104: --set train.cmd=: param `cmd` for plugin `exec` must be a string or an array, got null/);
  } finally {
    p.cleanup();
  }
});

test.run();
