/** Diagnostics carry stable codes and a severity: tests and tools match codes, warnings never stop a run. */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DIAGNOSTIC_CODES } from '../../engine/diagnostic-codes.ts';
import { InvalidInput } from '../../engine/errors.ts';
import { loadPipeline } from '../../engine/pipeline.ts';
import { project } from '../helpers/project.ts';

test('codes are unique and well-formed', () => {
  const codes = Object.values(DIAGNOSTIC_CODES);
  assert.is(new Set(codes).size, codes.length);
  for (const code of codes) assert.match(code, /^TP\d{4}$/);
});

test('every problem of a file is reported with its code', async () => {
  const p = project({
    'p.yaml': 'steps:\n  a: { uses: exec, with: { cmd: x, depz: [] } }\n  b: { uses: exce }\n  c: { uses: exec, needs: [zz], with: { cmd: "${vars.nope}" } }\n',
  });
  try {
    const error = await loadPipeline(join(p.dir, 'p.yaml')).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(error, InvalidInput);
    assert.equal(
      (error as InvalidInput).diagnostics.map((d) => [d.code, d.severity ?? 'error']),
      [['unknown-variable', 'error']],
    );
    p.write('p.yaml', 'steps:\n  a: { uses: exec, with: { cmd: x, depz: [] } }\n  b: { uses: exce }\n');
    const second = await loadPipeline(join(p.dir, 'p.yaml')).catch((e: InvalidInput) => e);
    assert.equal(
      (second as InvalidInput).diagnostics.map((d) => d.code),
      ['unknown-param', 'unknown-plugin'],
    );
  } finally {
    p.cleanup();
  }
});

test('an unused variable is a warning: printed with its code, the run goes on, and the next load still warns', async () => {
  const p = project({ 'p.yaml': 'vars: { used: 1, spare: 2 }\nsteps:\n  a: { uses: exec, with: { cmd: "echo ${vars.used}" } }\n' });
  try {
    const pipeline = await loadPipeline(join(p.dir, 'p.yaml'));
    assert.equal(
      pipeline.warnings.map((d) => [d.code, d.severity]),
      [['unused-variable', 'warning']],
    );
    for (let i = 0; i < 2; i++) {
      const r = await p.run(['run', 'p.yaml']);
      assert.is(r.code, 0);
      assert.ok(r.stderr.startsWith('warning TP0308: p.yaml:1:18: variable `vars.spare` is never used'), r.stderr);
    }
  } finally {
    p.cleanup();
  }
});

test.run();
