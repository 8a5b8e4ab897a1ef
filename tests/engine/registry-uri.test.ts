import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { project, REPO } from '../helpers/project.ts';

const plugin = (name: string) => JSON.stringify(join(REPO, 'tests/fixtures/engine/plugins', `${name}.ts`));

test('models:/name@alias resolves at plan time into the cache key: promoting a new champion reruns its users', async () => {
  const p = project({
    'train.yaml': `plugins: { write-model: ${plugin('write-model')} }
steps:
  train: { uses: write-model, with: { weights: "v1" } }
  register: { uses: registry.register, inputs: { artifact: train.model }, with: { name: ppo, alias: champion } }
`,
    'use.yaml': `plugins: { read-model: ${plugin('read-model')} }
steps:
  evaluate: { uses: read-model, with: { model: "models:/ppo@champion" } }
`,
  });
  try {
    const trained = await p.runJson('train.yaml');
    assert.is(trained.code, 0, trained.stderr);
    const first = await p.runJson('use.yaml');
    assert.is(first.code, 0, first.stderr);
    assert.is((await p.run(['show', 'use.yaml', 'evaluate'])).stdout.trim(), '"v1"');
    assert.equal((await p.runJson('use.yaml')).statuses, { evaluate: 'cached' });

    const second = await p.runJson('train.yaml', ['--set', 'train.weights=v2']);
    assert.is(second.code, 0, second.stderr);
    const status = await p.run(['status', 'use.yaml']);
    assert.match(status.stdout, /evaluate +stale +model `models:\/ppo@champion` now resolves to ppo\/2/);
    const rerun = await p.runJson('use.yaml');
    assert.equal(rerun.statuses, { evaluate: 'executed' });
    assert.is((await p.run(['show', 'use.yaml', 'evaluate'])).stdout.trim(), '"v2"');

    const back = await p.run(['models', 'promote', 'ppo', '1', '--alias', 'champion']);
    assert.is(back.code, 0, back.stderr);
    const restored = await p.runJson('use.yaml');
    assert.equal(restored.statuses, { evaluate: 'cached' }, 'version 1 was evaluated before: its outputs come back');
    const missing = await p.run(['run', 'use.yaml', '--set', 'evaluate.model=models:/ppo@staging']);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, /models:\/ppo@staging: model ppo has no alias staging \(aliases: champion\)/);
  } finally {
    p.cleanup();
  }
});

test.run();
