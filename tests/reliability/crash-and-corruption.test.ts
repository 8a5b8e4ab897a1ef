/**
 * A writer killed with SIGKILL mid-step, and a store object whose bytes were changed on
 * disk: the rerun completes, finished work stays cached, and the store never holds an
 * object whose bytes do not hash to its name.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { project } from '../helpers/project.ts';
import { objectFiles, waitFor } from '../helpers/store-files.ts';
import { hashFile } from '../../engine/hash.ts';

test('kill -9 mid-step: the rerun completes, finished steps cached, no corrupt objects', async () => {
  // The command records its process group (exec runs each command in its own), so the
  // test can stop exactly the orphan the killed run leaves behind.
  const p = project({
    'p.yaml': `steps:
  first: { uses: exec, with: { cmd: "mkdir -p out && echo one > out/first", outs: [out/first] } }
  slow: { uses: exec, with: { cmd: "echo $$ > slow.pgid; cat out/first > out/slow.partial; touch started; sleep 30; mv out/slow.partial out/slow", deps: [out/first], outs: [out/slow] } }
`,
  });
  try {
    const child = p.spawn(['run', 'p.yaml']);
    await waitFor(() => existsSync(join(p.dir, 'started')), 20_000);
    child.kill('SIGKILL');
    await child;
    // The killed run's command is an orphan now; stop it so it can't finish the out behind our back.
    const pgid = Number(readFileSync(join(p.dir, 'slow.pgid'), 'utf8'));
    process.kill(-pgid, 'SIGKILL');
    writeFileSync(join(p.dir, 'p.yaml'), readFileSync(join(p.dir, 'p.yaml'), 'utf8').replace('sleep 30', 'sleep 0'));
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.statuses, { first: 'cached', slow: 'executed' });
    for (const f of objectFiles(p.dir)) assert.is(await hashFile(f), `sha256:${f.split('/').slice(-2).join('')}`);
  } finally {
    p.cleanup();
  }
});

test('a corrupted store object is detected, reported, and its step re-executes', async () => {
  const p = project({
    'p.yaml': 'steps:\n  a: { uses: exec, with: { cmd: "mkdir -p out && echo hello > out/a", outs: [out/a] } }\n',
  });
  try {
    await p.runJson('p.yaml');
    const [object] = objectFiles(p.dir);
    chmodSync(object!, 0o644);
    writeFileSync(object!, 'tampered\n');
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 0);
    assert.equal(r.statuses, { a: 'executed' });
    assert.is(r.result.steps[0]!.reason, 'outputs missing from the store');
    assert.match(
      r.stderr,
      /a warning: store object sha256:[0-9a-f]{64} is corrupted \(its bytes hash to sha256:[0-9a-f]{64}\); moved to \.tradepipe\/corrupt\/; re-executing/,
    );
    for (const f of objectFiles(p.dir)) assert.is(await hashFile(f), `sha256:${f.split('/').slice(-2).join('')}`);
    assert.is(readdirSync(join(p.dir, '.tradepipe', 'corrupt')).length, 1);
  } finally {
    p.cleanup();
  }
});

test.run();
