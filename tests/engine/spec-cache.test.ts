/** The remembered pipeline spec: valid while its YAML files' contents and the loader's files' signatures are unchanged. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSpecCache, writeSpecCache } from '../../engine/spec-cache.ts';
import type { ResolvedSpec } from '../../engine/pipeline-model.ts';

const root = mkdtempSync(join(tmpdir(), 'tradepipe-spec-cache-'));
const pipelineFile = join(root, 'p.yaml');
writeFileSync(pipelineFile, 'steps: {}\n');
const spec: ResolvedSpec = { name: 'p', plugins: {}, summary: [], steps: {}, sources: [pipelineFile] };
const specsDir = join(root, '.tradepipe', 'specs');

/** Writes the entry and returns its path; a loader file edited in the last two seconds delays it (racily fresh). */
async function remember(): Promise<string> {
  rmSync(specsDir, { recursive: true, force: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    writeSpecCache(root, pipelineFile, [], spec);
    for (let waited = 0; waited < 2100; waited += 50) {
      const [name] = existsSync(specsDir) ? readdirSync(specsDir).filter((f) => f.endsWith('.json')) : [];
      if (name) return join(specsDir, name);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('the spec was never remembered');
}

test('a remembered spec is read back while nothing changed, and not for other overrides', async () => {
  await remember();
  assert.equal(readSpecCache(root, pipelineFile, []), spec);
  assert.is(readSpecCache(root, pipelineFile, ['a.n=1']), undefined);
});

test('the entry lists the loader by file signature: pipeline.ts, what it imports, the pipeline schema', async () => {
  const entry = JSON.parse(readFileSync(await remember(), 'utf8')) as { loader: [string, string][] };
  const names = entry.loader.map(([path]) => path.split('/').slice(-2).join('/'));
  assert.ok(names.includes('engine/pipeline.ts'));
  assert.ok(names.includes('engine/yaml-source.ts'));
  assert.ok(names.includes('schemas/pipeline.schema.json'));
  for (const [, signature] of entry.loader) assert.match(signature, /^\d+:[\d.]+:[\d.]+$/);
});

test('a loader file with another signature, or an entry of the older format, is a miss', async () => {
  const path = await remember();
  const entry = JSON.parse(readFileSync(path, 'utf8')) as { loader: [string, string][] | string };
  const loader = entry.loader as [string, string][];
  writeFileSync(path, JSON.stringify({ ...entry, loader: [[loader[0]![0], '1:2:3'], ...loader.slice(1)] }));
  assert.is(readSpecCache(root, pipelineFile, []), undefined, 'a changed loader file');
  writeFileSync(path, JSON.stringify({ ...entry, loader: 'sha256:0' }));
  assert.is(readSpecCache(root, pipelineFile, []), undefined, 'the older format');
});

test('an edited YAML source is a miss', async () => {
  await remember();
  writeFileSync(pipelineFile, 'steps: { }\n');
  assert.is(readSpecCache(root, pipelineFile, []), undefined);
  writeFileSync(pipelineFile, 'steps: {}\n');
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
