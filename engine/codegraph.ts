/**
 * Which source files make up a plugin: its entry and every local module it imports,
 * statically or dynamically (shared code in steps/lib/ included, packages excluded).
 * esbuild resolves the graph; the result is cached on disk and reused while none of
 * the listed files changed size or mtime, so a cached rerun does not call esbuild.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from './atomic.ts';

type Signature = [path: string, size: number, mtimeMs: number];

export interface CodeGraph {
  /** Absolute paths of the entry's local module graph, sorted. */
  files(entry: string): Promise<string[]>;
  save(): Promise<void>;
}

export function openCodeGraph(cacheFile: string): CodeGraph {
  let cache: Record<string, Signature[]> = {};
  try {
    cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, Signature[]>;
  } catch {
    // No cache yet: every graph is resolved once.
  }
  let dirty = false;
  const fresh = (sigs: Signature[]) =>
    sigs.every(([path, size, mtimeMs]) => {
      try {
        const s = statSync(path);
        return s.size === size && s.mtimeMs === mtimeMs;
      } catch {
        return false;
      }
    });
  return {
    async files(entry) {
      const hit = cache[entry];
      if (hit && fresh(hit)) return hit.map(([p]) => p);
      const files = await resolveGraph(entry);
      cache[entry] = files.map((p) => {
        const s = statSync(p);
        return [p, s.size, s.mtimeMs];
      });
      dirty = true;
      return files;
    },
    async save() {
      if (!dirty) return;
      await writeFileAtomic(cacheFile, JSON.stringify(cache));
      dirty = false;
    },
  };
}

async function resolveGraph(entry: string): Promise<string[]> {
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
  return Object.keys(result.metafile.inputs)
    .filter((p) => !p.includes('node_modules/') && !p.startsWith('<'))
    .map((p) => resolve(process.cwd(), p))
    .sort();
}
