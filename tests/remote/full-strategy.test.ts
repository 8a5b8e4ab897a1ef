/**
 * The headline case on a real S3 server: clone A runs `full_strategy` with
 * `write`; clone B, with an empty local store and `read`, runs it with 0 steps executed
 * and the same output hashes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, withStatus } from '../helpers/project.ts';
import { clone, testRemote } from './support.ts';

// As in tests/e2e: the shipped pipeline, shortened to three tickers and one PPO update.
const SHORT = ['--set', 'ohlcv.tickers=[AAA, BBB, CCC]', '--set', 'train.total_timesteps=2048'];
const FILE = 'pipelines.d/full_strategy.yaml';

test('s3: full_strategy run by clone A is reused by clone B: 0 executed, identical outputs', async () => {
  const remote = await testRemote('s3');
  if (!remote) return;
  const a = clone(remote, {});
  const b = clone(remote, {});
  try {
    for (const p of [a, b]) for (const dir of ['config', 'hyperparameters', 'pipelines.d']) cpSync(join(REPO, dir), join(p.dir, dir), { recursive: true });
    const t0 = performance.now();
    const first = await a.runJson(FILE, SHORT);
    const cold = performance.now() - t0;
    assert.is(first.code, 0, first.stderr);
    assert.is(withStatus(first.statuses, 'executed').length, 16);

    const t1 = performance.now();
    const second = await b.runJson(FILE, SHORT);
    const reused = performance.now() - t1;
    assert.is(second.code, 0, second.stderr);
    assert.equal(withStatus(second.statuses, 'executed'), []);
    assert.is(withStatus(second.statuses, 'cached').length, 16);
    for (const s of first.result.steps) assert.equal(second.result.steps.find((x) => x.id === s.id)!.outputs, s.outputs, `${s.id}: same output hashes`);
    // Timing targets live in bench/; this only shows the figures.
    console.log(`  full_strategy: clone A cold ${(cold / 1000).toFixed(1)} s, clone B from the remote ${(reused / 1000).toFixed(1)} s`);
  } finally {
    a.cleanup();
    b.cleanup();
    remote.cleanup();
  }
});

test.run();
