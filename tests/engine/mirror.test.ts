/**
 * The start-up mirror (bin/compiled.mjs): `bin/tradepipe` falls back to the module hooks when it
 * cannot be built, which keeps every command working but makes each start several times slower.
 * A source esbuild cannot transpile must therefore fail here, not only slow the CLI down.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

interface Mirror {
  ROOT: string;
  prepareMirror(): Promise<Set<string>>;
}

test('every engine and plugin source transpiles into the mirror', async () => {
  const { ROOT, prepareMirror } = (await import(pathToFileURL(join(process.cwd(), 'bin', 'compiled.mjs')).href)) as Mirror;
  const mirrored = await prepareMirror();
  for (const rel of ['engine/cli/index.ts', 'engine/sdk.ts', 'engine/executor.ts', 'steps/lib/agent/kernel/trainer.ts']) assert.ok(mirrored.has(join(ROOT, rel)), rel);
});

test.run();
