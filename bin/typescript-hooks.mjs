// Module hooks that run TypeScript sources (the engine's, the built-in plugins' and user plugins')
// without a build step. Each file is transpiled once by esbuild and kept in a cache keyed by the
// file's content and the transpiler's settings, so a start with unchanged sources reads plain
// JavaScript from disk and never loads esbuild, while an edited file is picked up on the next start.
// The module URLs stay those of the .ts sources: import.meta.url, plugin code hashing and
// stack traces all point at the sources.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPESCRIPT = /\.[cm]?tsx?$/;
/** TypeScript's import conventions that Node's resolver does not know: `.js` naming a `.ts` file, and extensionless paths. */
const ALTERNATIVES = [
  [/\.js$/, '.ts'],
  [/\.mjs$/, '.mts'],
  [/\.jsx$/, '.tsx'],
  [/$/, '.ts'],
  [/$/, '/index.ts'],
];

let cacheDir;
let settings;
let esbuild;
/** Source URL -> URL of its transpiled copy in the engine's mirror (bin/compiled.mjs), so a user plugin shares the engine's module instances. */
let mirror = new Map();

export function initialize(data) {
  cacheDir = data.cacheDir;
  settings = data.settings;
  mirror = new Map(data.mirror ?? []);
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await resolveTypeScript(specifier, context, nextResolve);
  const mirrored = mirror.get(resolved.url);
  return mirrored === undefined ? resolved : { ...resolved, url: mirrored, format: 'module' };
}

async function resolveTypeScript(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !isPathLike(specifier) || !TYPESCRIPT.test(context.parentURL ?? '')) throw error;
    for (const [pattern, replacement] of ALTERNATIVES) {
      if (!pattern.test(specifier)) continue;
      try {
        return await nextResolve(specifier.replace(pattern, replacement), context);
      } catch {
        // Try the next convention; the original error is the one to report.
      }
    }
    throw error;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:')) return nextLoad(url, context);
  const path = new URL(url).pathname;
  if (path.endsWith('.json') && context.importAttributes?.type === undefined) {
    return nextLoad(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } });
  }
  if (!TYPESCRIPT.test(path)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = readFileSync(file);
  return { format: 'module', source: await transpiled(file, source), shortCircuit: true };
}

function isPathLike(specifier) {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/') || specifier.startsWith('file:');
}

async function transpiled(file, source) {
  const key = createHash('sha256').update(settings).update('\0').update(file).update('\0').update(source).digest('hex');
  const cached = join(cacheDir, key.slice(0, 2), `${key}.mjs`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // Not transpiled yet.
  }
  esbuild ??= await import('esbuild');
  const { code } = await esbuild.transform(source.toString('utf8'), {
    ...JSON.parse(settings).options,
    loader: file.endsWith('x') ? 'tsx' : 'ts',
    sourcefile: file,
  });
  store(cached, code);
  return code;
}

/** Written to a temporary name and renamed, so a concurrent start never reads half a file. A read-only cache only costs speed. */
function store(cached, code) {
  try {
    mkdirSync(join(cached, '..'), { recursive: true });
    const temporary = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(temporary, code);
    renameSync(temporary, cached);
  } catch {
    // Transpiled again next time.
  }
}
