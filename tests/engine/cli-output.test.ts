import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BIN, project, REPO } from '../helpers/project.ts';

const BIG = JSON.stringify(join(REPO, 'tests/fixtures/engine/plugins/big-table.ts'));
const ROWS = 200_000;

/** Runs the CLI with stdout on a Node pipe (non-blocking, as under execa) and a reader that stalls at first. */
function throughPipe(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', MLFLOW_TRACKING_URI: '' } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b));
    // The pipe fills while nobody reads: the writer must wait for it, not drop or cut its output.
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 500);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: err }));
  });
}

test('large output reaches a pipe whole: show (CSV and JSON), status --json, run --json', async () => {
  const p = project({ 'p.yaml': `plugins: { big: ${BIG} }\nsteps:\n  big: { uses: big, with: { rows: ${ROWS} } }\n` });
  try {
    const run = await throughPipe(p.dir, ['run', 'p.yaml', '--json']);
    assert.is(run.code, 0, run.stderr);
    assert.is(JSON.parse(run.stdout).status, 'succeeded');

    const csv = await throughPipe(p.dir, ['show', 'p.yaml', 'big.rows']);
    assert.is(csv.code, 0, csv.stderr);
    assert.ok(csv.stdout.endsWith('\n'));
    const lines = csv.stdout.slice(0, -1).split('\n');
    assert.is(lines.length, ROWS + 1, `${csv.stdout.length} bytes arrived`);
    assert.is(lines[0], 'tic,i,close');
    assert.is(lines.at(-1), `T${(ROWS - 1) % 97},${ROWS - 1},${(ROWS - 1) / 8}`);

    const json = await throughPipe(p.dir, ['show', 'p.yaml', 'big.rows', '--format', 'json']);
    assert.is(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { i: number }[];
    assert.is(rows.length, ROWS);
    assert.is(rows.at(-1)!.i, ROWS - 1);

    const status = await throughPipe(p.dir, ['status', 'p.yaml', '--json']);
    assert.is(status.code, 0, status.stderr);
    assert.is(JSON.parse(status.stdout).steps[0].id, 'big');
  } finally {
    p.cleanup();
  }
});

test.run();
