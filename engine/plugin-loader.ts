/**
 * Plugin resolution. Built-in plugins are the folders of steps/ holding a plugin.ts;
 * user plugins come from a path or an npm package named in the pipeline's `plugins:`
 * map, or directly in `uses:` as a path. Only the plugins a pipeline uses are imported.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, dirname, sep } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { Plugin } from './plugin.ts';

export const BUILTIN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'steps');

export interface LoadedPlugin {
  readonly plugin: Plugin;
  /** The module imported. */
  readonly entry: string;
  /** The file or folder whose content makes the plugin's code hash. */
  readonly source: string;
  readonly builtin: boolean;
}

let builtinNames: string[] | undefined;

export function listBuiltins(): string[] {
  builtinNames ??= readdirSync(BUILTIN_DIR)
    .filter((name) => existsSync(join(BUILTIN_DIR, name, 'plugin.ts')))
    .sort();
  return builtinNames;
}

export function isPathSpec(spec: string): boolean {
  return spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('/');
}

/** Where `uses` points: a built-in folder, a user file/folder, or a package entry. Throws a plain message. */
export function locatePlugin(uses: string, declared: Readonly<Record<string, string>>, root: string): { entry: string; source: string; builtin: boolean } {
  const spec = declared[uses] ?? uses;
  if (isPathSpec(spec)) {
    const abs = resolve(root, spec);
    if (!existsSync(abs)) throw new Error(`plugin module \`${spec}\` not found (looked for ${abs})`);
    if (statSync(abs).isDirectory()) {
      const entry = ['plugin.ts', 'plugin.mts', 'plugin.js', 'plugin.mjs', 'index.ts', 'index.js'].map((f) => join(abs, f)).find(existsSync);
      if (!entry) throw new Error(`plugin folder \`${spec}\` has no plugin.ts, plugin.mts, plugin.js, plugin.mjs, index.ts or index.js`);
      return { entry, source: abs, builtin: false };
    }
    return { entry: abs, source: abs, builtin: false };
  }
  if (declared[uses] !== undefined) {
    const entry = createRequire(join(root, 'package.json')).resolve(spec);
    return { entry, source: dirname(entry), builtin: false };
  }
  if (listBuiltins().includes(spec)) {
    return { entry: join(BUILTIN_DIR, spec, 'plugin.ts'), source: join(BUILTIN_DIR, spec), builtin: true };
  }
  throw new Error(`unknown plugin \`${uses}\``);
}

/**
 * bin/tradepipe runs the engine from transpiled sources and installs how a plugin's
 * module is imported (its transpiled copy, or TypeScript through module hooks); under
 * tsx (tests, tools) a plain import does.
 */
const importModule = (globalThis as Record<symbol, ((url: string) => Promise<unknown>) | undefined>)[Symbol.for('tradepipe.importModule')] ?? ((url: string) => import(url));

const cache = new Map<string, Promise<Plugin>>();
/**
 * Entries forgotten since their first import. An ES module is evaluated once per URL,
 * so these load through a fresh tsx namespace, which re-evaluates the plugin's own
 * relative imports too (packages stay shared).
 */
const reloaded = new Set<string>();

export async function importPlugin(entry: string): Promise<Plugin> {
  let loading = cache.get(entry);
  if (!loading) {
    const url = pathToFileURL(entry).href;
    const isolated = () => import('tsx/esm/api').then(({ tsImport }) => tsImport(url, import.meta.url));
    const load = reloaded.has(entry)
      ? isolated()
      : importModule(url).catch((error: NodeJS.ErrnoException) => {
          // A TypeScript plugin with ESM syntax in a folder whose package.json is not
          // `"type": "module"` (or that has none): load it through tsx's own namespace.
          if (error.code === 'ERR_REQUIRE_CYCLE_MODULE') return isolated();
          throw error;
        });
    loading = load.then((mod: { default?: { default?: unknown } }) => checkShape(isPlugin(mod.default) ? mod.default : (mod.default?.default ?? mod.default), entry));
    cache.set(entry, loading);
  }
  return loading;
}

/** Watch mode: the next import of a plugin whose entry lies in one of `sources` (files or folders) evaluates its current code. */
export function forgetPlugins(sources: Iterable<string>): void {
  for (const source of sources) {
    for (const entry of [...cache.keys()]) {
      if (entry !== source && !entry.startsWith(source + sep)) continue;
      cache.delete(entry);
      reloaded.add(entry);
    }
  }
}

function isPlugin(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { run?: unknown }).run === 'function';
}

function checkShape(value: unknown, entry: string): Plugin {
  const p = value as Partial<Plugin> | undefined;
  const problems: string[] = [];
  if (!p || typeof p !== 'object') problems.push('no default export');
  else {
    if (typeof p.name !== 'string') problems.push('`name` must be a string');
    if (typeof p.version !== 'string') problems.push('`version` must be a string');
    if (typeof p.paramsSchema !== 'object') problems.push('`paramsSchema` must be a JSON Schema object');
    if (typeof p.inputs !== 'object') problems.push('`inputs` must be an object');
    if (typeof p.outputs !== 'object' && typeof p.outputs !== 'function') problems.push('`outputs` must be an object or a function');
    if (typeof p.run !== 'function') problems.push('`run` must be a function');
  }
  if (problems.length > 0) throw new Error(`${entry} is not a tradepipe plugin: ${problems.join('; ')}`);
  return p as Plugin;
}
