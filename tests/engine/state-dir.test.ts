import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { project } from '../helpers/project.ts';

// Counts its executions in ctx.stateDir: what a step acting on the outside world remembers across runs.
const COUNTER = `import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
export default {
  name: 'counter', version: '1', description: 'counts its runs in ctx.stateDir',
  paramsSchema: { type: 'object', properties: { n: { type: 'number' } } },
  inputs: {}, outputs: { count: {} },
  alwaysRun: () => true,
  async run(ctx) {
    await mkdir(ctx.stateDir, { recursive: true });
    const file = join(ctx.stateDir, 'count');
    const count = Number(await readFile(file, 'utf8').catch(() => '0')) + 1;
    await writeFile(file, String(count));
    return { count: { kind: 'json', value: count } };
  },
};
`;

test('ctx.stateDir: one folder per pipeline and step, kept across runs, never part of the key', async () => {
  const p = project({
    'counter.mjs': COUNTER,
    'a.yaml': 'plugins: { counter: ./counter.mjs }\nsteps:\n  x: { uses: counter }\n  y: { uses: counter }\n',
    'b.yaml': 'plugins: { counter: ./counter.mjs }\nsteps:\n  x: { uses: counter, with: { n: 1 } }\n',
  });
  try {
    for (let i = 0; i < 3; i++) assert.is((await p.runJson('a.yaml')).code, 0);
    assert.is((await p.runJson('b.yaml')).code, 0);
    const show = async (file: string, step: string) => JSON.parse((await p.run(['show', file, `${step}.count`])).stdout);
    assert.equal([await show('a.yaml', 'x'), await show('a.yaml', 'y'), await show('b.yaml', 'x')], [3, 3, 1]);
    assert.equal(readdirSync(join(p.dir, '.tradepipe/state')).sort(), ['a.yaml', 'b.yaml']);
    assert.is((await p.run(['gc', '--keep', '0'])).code, 0);
    assert.is((await p.runJson('a.yaml')).code, 0);
    assert.is(await show('a.yaml', 'x'), 4, 'gc leaves state alone');
  } finally {
    p.cleanup();
  }
});

test.run();
