/**
 * Package upgrades invalidate the cache: a user project with its own node_modules, whose
 * plugin imports `fakepkg`, which depends on `@fix/dep`. Changing the installed version of
 * the transitive dependency reruns exactly the step whose code runs on it, and says why.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolvePackages, versionMap } from '../../engine/packages.ts';
import { project } from '../helpers/project.ts';

const manifest = (name: string, version: string, dependencies: Record<string, string> = {}) =>
  JSON.stringify({ name, version, type: 'module', main: 'index.js', dependencies }, null, 2);

const FILES = {
  'package.json': '{ "type": "module" }\n',
  'node_modules/fakepkg/package.json': manifest('fakepkg', '1.0.0', { '@fix/dep': '^2.0.0' }),
  'node_modules/fakepkg/index.js': "export { depValue as value } from '@fix/dep';\n",
  'node_modules/@fix/dep/package.json': manifest('@fix/dep', '2.0.0'),
  'node_modules/@fix/dep/index.js': 'export const depValue = 7;\n',
  // fakepkg's own copy of `nested` shadows the top-level one, as npm installs conflicting versions.
  'node_modules/nested/package.json': manifest('nested', '1.0.0'),
  'node_modules/fakepkg/node_modules/nested/package.json': manifest('nested', '3.0.0'),
  'plugins/uses-pkg.mjs': `import { value } from 'fakepkg';
export default { name: 'uses-pkg', version: '1', description: 'a value from a package', paramsSchema: { type: 'object' },
  inputs: {}, outputs: { value: {} }, async run() { return { value: { kind: 'json', value } }; } };
`,
  'plugins/plain.mjs': `export default { name: 'plain', version: '1', description: 'no packages', paramsSchema: { type: 'object' },
  inputs: {}, outputs: { value: {} }, async run() { return { value: { kind: 'json', value: 1 } }; } };
`,
  'p.yaml': `plugins: { uses-pkg: ./plugins/uses-pkg.mjs, plain: ./plugins/plain.mjs }
steps:
  with_pkg: { uses: uses-pkg }
  without: { uses: plain }
`,
};

test('resolvePackages follows dependencies transitively, resolving each from its importer like Node', () => {
  const p = project(FILES);
  try {
    p.write('node_modules/fakepkg/package.json', manifest('fakepkg', '1.0.0', { '@fix/dep': '^2.0.0', nested: '^3.0.0' }));
    const found = resolvePackages([
      [join(p.dir, 'plugins'), 'fakepkg'],
      [join(p.dir, 'plugins'), 'nested'],
      [join(p.dir, 'plugins'), 'node:fs'],
    ]);
    assert.equal(versionMap(found), { '@fix/dep': '2.0.0', fakepkg: '1.0.0', nested: '1.0.0, 3.0.0' });
  } finally {
    p.cleanup();
  }
});

test('a transitive package upgrade reruns the step whose code imports it, with the package named', async () => {
  const p = project(FILES);
  try {
    const first = await p.runJson('p.yaml');
    assert.equal(first.statuses, { with_pkg: 'executed', without: 'executed' });
    assert.equal((await p.runJson('p.yaml')).statuses, { with_pkg: 'cached', without: 'cached' });

    p.write('node_modules/@fix/dep/package.json', manifest('@fix/dep', '2.1.0'));
    const status = await p.run(['status', 'p.yaml', '--json']);
    const steps = JSON.parse(status.stdout) as { steps: { id: string; status: string; reason: string }[] };
    assert.equal(
      steps.steps.map((s) => [s.id, s.status, s.reason]),
      [
        ['with_pkg', 'stale', 'package `@fix/dep` 2.0.0→2.1.0'],
        ['without', 'up-to-date', 'up to date'],
      ],
    );

    const explained = await p.run(['status', 'p.yaml', '--explain', 'with_pkg']);
    assert.match(explained.stdout, /^\* packages\.@fix\/dep\s+2\.1\.0\s+2\.0\.0$/m);
    assert.match(explained.stdout, /^\* packages \(2\)\s+[0-9a-f]+/m);
    assert.not.match(explained.stdout, /packages\.fakepkg/, 'unchanged packages are summed up in the `packages` row');
    const json = JSON.parse((await p.run(['status', 'p.yaml', '--explain', 'with_pkg', '--json'])).stdout) as {
      fields: { field: string; current: unknown; change: string }[];
    };
    assert.equal(
      json.fields.find((f) => f.field === 'packages.fakepkg'),
      { field: 'packages.fakepkg', current: '1.0.0', last: '1.0.0', change: 'same' },
    );

    const rerun = await p.runJson('p.yaml');
    assert.equal(rerun.statuses, { with_pkg: 'executed', without: 'cached' });
    assert.is(rerun.result.steps.find((s) => s.id === 'with_pkg')?.reason, 'package `@fix/dep` 2.0.0→2.1.0');
    assert.equal((await p.runJson('p.yaml')).statuses, { with_pkg: 'cached', without: 'cached' });
  } finally {
    p.cleanup();
  }
});

test.run();
