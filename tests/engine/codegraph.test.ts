/** A plugin's local module graph (esbuild), remembered while the files' sizes and mtimes are unchanged. */
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCodeGraph } from '../../engine/codegraph.ts';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tradepipe-codegraph-')));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

test('static and dynamic local imports count as files; packages (also through createRequire) count with their versions', async () => {
  const entry = file('plugin.ts', "import { a } from './a.ts';\nimport { parse } from 'yaml';\nexport const run = async () => [a, parse, (await import('./b.ts')).b];\n");
  file('a.ts', "export const a = 1;\n");
  file('b.ts', "import { a } from './a.ts';\nexport const b = a + 1;\n");
  file('unused.ts', 'export const u = 0;\n');
  const graph = openCodeGraph(join(dir, 'graph.json'));
  assert.equal(await graph.files(entry), [join(dir, 'a.ts'), join(dir, 'b.ts'), entry]);
  assert.equal(await graph.packages(entry), {});
  const linked = join(process.cwd(), 'tests', 'engine', '.codegraph-fixture.ts');
  writeFileSync(linked, "import { createRequire } from 'node:module';\nimport { parse } from 'yaml';\nconst require = createRequire(import.meta.url);\nexport const f = [parse, require('fastest-levenshtein')];\n");
  try {
    const installed = (name: string) => (JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(await graph.packages(linked), { 'fastest-levenshtein': installed('fastest-levenshtein'), yaml: installed('yaml') });
  } finally {
    rmSync(linked);
  }
});

test('a saved graph is reused while its files are unchanged, and resolved again after an edit', async () => {
  const entry = file('entry.ts', "export { a } from './a.ts';\n");
  const cacheFile = join(dir, 'saved.json');
  const first = openCodeGraph(cacheFile);
  assert.equal(await first.files(entry), [join(dir, 'a.ts'), entry]);
  await first.save();
  // A hand-made entry with the files' true signatures is trusted as is: nothing is resolved.
  const signature = (p: string) => [p, statSync(p).size, statSync(p).mtimeMs];
  writeFileSync(cacheFile, JSON.stringify({ [entry]: { files: [signature(entry)], imports: [], packages: [] } }));
  assert.equal(await openCodeGraph(cacheFile).files(entry), [entry]);
  file('entry.ts', "export { a } from './a.ts';\nexport { b } from './b.ts';\n");
  assert.equal(await openCodeGraph(cacheFile).files(entry), [join(dir, 'a.ts'), join(dir, 'b.ts'), entry]);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
