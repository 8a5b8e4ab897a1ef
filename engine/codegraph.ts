/**
 * What code a plugin runs: its entry and every local module it imports, statically
 * or dynamically (shared code in steps/lib/ included), and the npm packages those
 * modules import with the versions installed now (transitively, see packages.ts).
 * esbuild resolves the local graph; the result is cached on disk and reused while
 * none of the listed files and package.json files changed size or mtime, so a
 * cached rerun calls neither esbuild nor reads a package.json.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { type BareImport, type InstalledPackage, packageName, requiredSpecifiers, resolvePackages, versionMap } from './packages.ts';

type Signature = [path: string, size: number, mtimeMs: number];

interface Entry {
  /** The local module graph. */
  files: Signature[];
  /** Bare imports of those files, so packages resolve again without esbuild when only node_modules changed. */
  imports: BareImport[];
  /** The installed packages, signed by their package.json. */
  packages: [name: string, version: string, manifest: Signature][];
}

export interface CodeGraph {
  /** Absolute paths of the entry's local module graph, sorted. */
  files(entry: string): Promise<string[]>;
  /** Name -> installed version of every package the entry's code imports, transitively. */
  packages(entry: string): Promise<Record<string, string>>;
  save(): Promise<void>;
}

const signature = (path: string): Signature => {
  const s = statSync(path);
  return [path, s.size, s.mtimeMs];
};

const fresh = (sigs: readonly Signature[]) =>
  sigs.every(([path, size, mtimeMs]) => {
    try {
      const s = statSync(path);
      return s.size === size && s.mtimeMs === mtimeMs;
    } catch {
      return false;
    }
  });

const signed = (packages: readonly InstalledPackage[]): Entry['packages'] => packages.map((p) => [p.name, p.version, signature(p.manifest)]);

export function openCodeGraph(cacheFile: string): CodeGraph {
  let cache: Record<string, Entry> = {};
  try {
    cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, Entry>;
  } catch {
    // No cache yet: every graph is resolved once.
  }
  let dirty = false;
  const entryFor = async (entry: string): Promise<Entry> => {
    const hit = cache[entry];
    // An entry from before packages were recorded (a bare signature list) is resolved again.
    if (hit && !Array.isArray(hit) && fresh(hit.files)) {
      if (fresh(hit.packages.map(([, , sig]) => sig))) return hit;
      cache[entry] = { ...hit, packages: signed(resolvePackages(hit.imports)) };
    } else {
      const { files, imports } = await resolveGraph(entry);
      cache[entry] = { files: files.map(signature), imports, packages: signed(resolvePackages(imports)) };
    }
    dirty = true;
    return cache[entry]!;
  };
  return {
    async files(entry) {
      return (await entryFor(entry)).files.map(([p]) => p);
    },
    async packages(entry) {
      return versionMap((await entryFor(entry)).packages.map(([name, version, [manifest]]) => ({ name, version, manifest })));
    },
    async save() {
      if (!dirty) return;
      await writeFileAtomic(cacheFile, JSON.stringify(cache));
      dirty = false;
    },
  };
}

async function resolveGraph(entry: string): Promise<{ files: string[]; imports: BareImport[] }> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
    absWorkingDir: process.cwd(),
  });
  const files: string[] = [];
  const imports = new Map<string, BareImport>();
  const add = (file: string, specifier: string) => {
    const name = packageName(specifier);
    if (name) imports.set(`${dirname(file)}\0${name}`, [dirname(file), name]);
  };
  for (const [path, input] of Object.entries(result.metafile.inputs)) {
    if (path.includes('node_modules/') || path.startsWith('<')) continue;
    const file = resolve(process.cwd(), path);
    files.push(file);
    for (const imported of input.imports) if (imported.external) add(file, imported.original ?? imported.path);
    for (const specifier of requiredSpecifiers(readFileSync(file, 'utf8'))) add(file, specifier);
  }
  return { files: files.sort(), imports: [...imports.values()].sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : 1)) };
}
