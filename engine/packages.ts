/**
 * The npm packages a plugin's code runs on, with the versions installed now: every
 * package its local modules import, and those packages' own dependencies,
 * transitively, each resolved the way Node resolves it (the nearest `node_modules`
 * above the importer). Versions come from the installed package.json, which is what
 * actually runs (a lockfile may disagree with node_modules until `npm ci`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, parse } from 'node:path';

/** A bare import found in a local module: the importer's folder and the specifier. */
export type BareImport = [fromDir: string, specifier: string];

export interface InstalledPackage {
  name: string;
  version: string;
  /** Absolute path of its package.json (whose stat tells when it changed). */
  manifest: string;
}

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`; relative, absolute, builtin and `#` imports -> undefined. */
export function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#') || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return name && !name.includes(':') ? name : undefined;
}

/** `require('x')` / `require.resolve('x')` with a literal, which esbuild does not see through `createRequire`. */
const REQUIRE_CALL = /\brequire(?:\.resolve)?\(\s*(['"])([^'"\n]+)\1\s*\)/g;

export function requiredSpecifiers(source: string): string[] {
  return [...source.matchAll(REQUIRE_CALL)].map((m) => m[2]!);
}

interface Manifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** The package.json Node would load for `name` imported from `fromDir`, or undefined when none is installed. */
function locate(fromDir: string, name: string): string | undefined {
  const { root } = parse(fromDir);
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dir === root) return undefined;
  }
}

/**
 * Every installed package reachable from `imports`, sorted by name then path. An import
 * that resolves to no installed package is left out: it fails at run time, not here.
 */
export function resolvePackages(imports: readonly BareImport[]): InstalledPackage[] {
  const found = new Map<string, InstalledPackage>();
  const queue: BareImport[] = [...imports];
  const seen = new Set<string>();
  for (let next = queue.pop(); next; next = queue.pop()) {
    const [fromDir, specifier] = next;
    const name = packageName(specifier);
    if (!name || seen.has(`${fromDir}\0${name}`)) continue;
    seen.add(`${fromDir}\0${name}`);
    const manifestPath = locate(fromDir, name);
    if (!manifestPath || found.has(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    found.set(manifestPath, { name, version: manifest.version ?? '(no version)', manifest: manifestPath });
    const dir = dirname(manifestPath);
    for (const deps of [manifest.dependencies, manifest.optionalDependencies, manifest.peerDependencies]) {
      for (const dep of Object.keys(deps ?? {})) queue.push([dir, dep]);
    }
  }
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.manifest < b.manifest ? -1 : 1));
}

/** Name -> version; a package installed in several versions lists them all (`1.0.0, 2.1.0`). */
export function versionMap(packages: readonly InstalledPackage[]): Record<string, string> {
  const versions = new Map<string, Set<string>>();
  for (const p of packages) versions.set(p.name, (versions.get(p.name) ?? new Set()).add(p.version));
  return Object.fromEntries([...versions].map(([name, set]) => [name, [...set].sort().join(', ')]));
}
