// A project's own TypeScript (user plugins and the modules they import), transpiled by esbuild into
// node_modules/.cache/tradepipe/user, one .mjs per source file, and reused while every file the plugin's
// TypeScript reaches is unchanged (same size, mtime and ctime). Importing these copies needs no module
// hooks, whose loader thread costs about 100 ms on every start. Each copy keeps its source's
// import.meta.url; its imports are fixed when transpiled: an engine source to its mirror (one module
// instance, as with the hooks), other TypeScript to its own copy, anything else (packages, JavaScript,
// built-ins) to the file Node's resolver picks from the source's folder. What esbuild cannot transpile or
// resolve is left to the hooks, which report it exactly as before.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CACHE, ESBUILD_OPTIONS, ESBUILD_VERSION, mirrorPath, signature, sourceWithOwnUrls, writeAtomic } from './compiled.mjs';

const OUT = join(CACHE, 'user');
const TYPESCRIPT = /\.[cm]?tsx?$/;
/** Part of each manifest: another esbuild or other settings transpile afresh. */
const SETTINGS = `esbuild ${ESBUILD_VERSION}; ${JSON.stringify(ESBUILD_OPTIONS)}; Node's conditions; v2`;
/** Marks esbuild's own resolution, asked for from inside the resolve callback. */
const RESOLVING = Symbol('resolving');

const copyPath = (source) => join(OUT, `${createHash('sha256').update(source).digest('hex').slice(0, 32)}.mjs`);
const manifestPath = (source) => copyPath(source).replace(/\.mjs$/, '.json');

/** The URL of an up-to-date transpiled copy of a TypeScript module, or undefined when it must load through the hooks. */
export async function userModuleUrl(url, mirrored) {
  if (!TYPESCRIPT.test(url) || !url.startsWith('file:')) return undefined;
  const source = fileURLToPath(url);
  if (!isFresh(source)) {
    try {
      const files = await transpileClosure(source, mirrored);
      writeAtomic(manifestPath(source), JSON.stringify({ settings: SETTINGS, files }));
    } catch {
      return undefined;
    }
  }
  return pathToFileURL(copyPath(source)).href;
}

function holds(path, contents) {
  try {
    return Buffer.compare(readFileSync(path), contents) === 0;
  } catch {
    return false;
  }
}

function isFresh(source) {
  try {
    const { settings, files } = JSON.parse(readFileSync(manifestPath(source), 'utf8'));
    return settings === SETTINGS && Object.entries(files).every(([path, known]) => signature(path) === known);
  } catch {
    return false;
  }
}

/** Transpiles `entry` and the TypeScript it reaches; returns the signature of every file the copies depend on, and of the copies. */
async function transpileClosure(entry, mirrored) {
  const { build } = await import('esbuild');
  const files = {};
  const pending = [entry];
  const seen = new Set(pending);
  const plugin = {
    name: 'one-module-per-file',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point' || args.pluginData === RESOLVING) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const { path } = resolved;
        files[path] = signature(path);
        if (mirrored.has(path)) return { path: pathToFileURL(mirrorPath(path)).href, external: true };
        // JSON is inlined, as in the mirror: Node 20 would need an import attribute that esbuild does not keep on external imports.
        if (path.endsWith('.json')) return { path };
        if (!TYPESCRIPT.test(path)) return { path: pathToFileURL(path).href, external: true };
        if (!seen.has(path)) {
          seen.add(path);
          pending.push(path);
        }
        return { path: pathToFileURL(copyPath(path)).href, external: true };
      });
      b.onLoad({ filter: TYPESCRIPT }, (args) => ({ contents: sourceWithOwnUrls(args.path), loader: args.path.endsWith('x') ? 'tsx' : 'ts' }));
    },
  };
  while (pending.length > 0) {
    const source = pending.pop();
    files[source] = signature(source);
    const result = await build({
      ...ESBUILD_OPTIONS,
      entryPoints: [source],
      outfile: copyPath(source),
      bundle: true,
      write: false,
      // Node's own conditions for packages' `exports` (esbuild would add `module`).
      conditions: [],
      logLevel: 'silent',
      plugins: [plugin],
    });
    // Unchanged bytes are not rewritten: a module two plugins import keeps the signature both manifests hold.
    for (const file of result.outputFiles) if (!holds(file.path, file.contents)) writeAtomic(file.path, file.contents);
    // The copy too: one removed or touched since is made again.
    files[copyPath(source)] = signature(copyPath(source));
  }
  return files;
}
