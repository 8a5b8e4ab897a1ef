import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { project, REPO } from '../helpers/project.ts';

const waitFor = async (check: () => boolean, ms: number) => {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
};

/** Whatever lock state is left in the store: the lock directory and anything beside it. */
const lockLeftovers = (dir: string) => readdirSync(join(dir, '.tradepipe')).filter((name) => name.startsWith('lock'));

test('a run waits for a live holder whose refreshes look overdue instead of taking its lock; no refresh failure, no lock left', async () => {
  // The holder runs past its first lock refresh (every 5 s). The second run's clock is ten
  // minutes ahead, so the lock looks stale to it, as it does when the holder's event loop
  // stalls past the stale threshold on a loaded machine: the holder is alive and must keep it.
  const p = project({
    'p.yaml': 'steps:\n  a: { uses: exec, with: { cmd: "touch started; sleep 6" } }\n',
    'q.yaml': 'steps:\n  b: { uses: exec, with: { cmd: "echo b" } }\n',
  });
  try {
    const first = p.spawn(['run', 'p.yaml']);
    await waitFor(() => existsSync(join(p.dir, 'started')), 20_000);
    const second = await p.run(['run', 'q.yaml'], {
      env: { NODE_OPTIONS: `--import=${join(REPO, 'tests/helpers/clock-ahead.mjs')}`, TRADEPIPE_TEST_CLOCK_AHEAD_MS: String(10 * 60_000) },
    });
    const held = await first;
    assert.is(held.exitCode, 0);
    assert.is(second.code, 0);
    assert.match(second.stderr, /waiting for the project lock .*\.tradepipe\/lock, held by pid \d+ \(tradepipe run p\.yaml\)/);
    assert.not.match(String(held.stderr), /refresh failed/);
    assert.not.match(second.stderr, /refresh failed/);
    assert.equal(lockLeftovers(p.dir), []);
  } finally {
    p.cleanup();
  }
});

test('two runs of different pipelines started together after a killed run: one takes the lock, the other waits; no refresh failure, no lock left', async () => {
  const p = project({
    'killed.yaml': 'steps:\n  k: { uses: exec, with: { cmd: "touch started; sleep 30" } }\n',
    'p.yaml': 'steps:\n  a: { uses: exec, with: { cmd: "sleep 2; echo a" } }\n',
    'q.yaml': 'steps:\n  b: { uses: exec, with: { cmd: "sleep 2; echo b" } }\n',
  });
  try {
    const killed = p.spawn(['run', 'killed.yaml']);
    await waitFor(() => existsSync(join(p.dir, 'started')), 20_000);
    killed.kill('SIGKILL');
    await killed;
    assert.ok(lockLeftovers(p.dir).length > 0, 'the killed run left its lock behind');
    const [a, b] = await Promise.all([p.run(['run', 'p.yaml']), p.run(['run', 'q.yaml'])]);
    assert.is(a.code, 0);
    assert.is(b.code, 0);
    const waited = [a, b].filter((r) => /waiting for the project lock .*held by pid \d+ \(tradepipe run [pq]\.yaml\)/.test(r.stderr));
    assert.is(waited.length, 1, `exactly one run waits:\n${a.stderr}\n${b.stderr}`);
    assert.not.match(a.stderr + b.stderr, /refresh failed/);
    assert.equal(lockLeftovers(p.dir), []);
  } finally {
    p.cleanup();
  }
});

test.run();
