// Lets this process (or a worker thread: call it first in the worker's entry) import any TypeScript source,
// user plugins included, through module hooks (one extra thread, so the CLI loads its own code from bin/compiled.mjs).
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { accessSync, constants, readFileSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const esbuildVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;

/** The transpiler's settings are part of each cache key: a change of esbuild or of these options transpiles afresh. */
const settings = JSON.stringify({
  esbuild: esbuildVersion,
  options: {
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    tsconfigRaw: { compilerOptions: { target: 'ES2022', useDefineForClassFields: true } },
  },
});

function cacheDirectory() {
  const preferred = join(root, 'node_modules', '.cache', 'tradepipe', 'typescript');
  try {
    accessSync(join(root, 'node_modules'), constants.W_OK);
    return preferred;
  } catch {
    return join(tmpdir(), `tradepipe-typescript-${process.getuid?.() ?? 'user'}`);
  }
}

/** `mirror`: [source URL, transpiled URL] pairs that imports of those sources are redirected to. */
export function registerTypeScript(mirror = []) {
  register('./typescript-hooks.mjs', import.meta.url, { data: { cacheDir: cacheDirectory(), settings, mirror } });
}
