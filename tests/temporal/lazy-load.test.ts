/**
 * A local run never loads Temporal's SDK (nor engine/temporal, its only importer): the
 * modules load when `--executor temporal` or `worker` asks for them. Node's module debug
 * log names every CommonJS module resolved, which the @temporalio packages are.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { BIN, project } from '../helpers/project.ts';

const FILE = 'pipelines.d/one.yaml';

async function run(dir: string, extra: string[]): Promise<{ code: number; stderr: string }> {
  const r = await execa(BIN, ['run', FILE, '--no-track', ...extra], { cwd: dir, reject: false, env: { NO_COLOR: '1', FORCE_COLOR: '0', NODE_DEBUG: 'module' } });
  return { code: r.exitCode ?? -1, stderr: r.stderr };
}

test('a local run loads no @temporalio module; --executor temporal does', async () => {
  const p = project({ [FILE]: 'steps:\n  a: { uses: exec, with: { cmd: "echo hi", outs: [] } }\n' });
  try {
    const local = await run(p.dir, []);
    assert.is(local.code, 0, local.stderr.slice(-2000));
    assert.match(local.stderr, /^MODULE \d+: /m);
    assert.not.match(local.stderr, /@temporalio/);
    // The control: the same log does show the SDK once the Temporal executor is asked for (it then stops: no remote).
    const temporal = await run(p.dir, ['--executor', 'temporal']);
    assert.is(temporal.code, 2, temporal.stderr.slice(-2000));
    assert.match(temporal.stderr, /error: --executor temporal needs a remote/);
    assert.match(temporal.stderr, /@temporalio\/client/);
  } finally {
    p.cleanup();
  }
});

test.run();
