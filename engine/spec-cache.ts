/**
 * Remembers a pipeline's resolved spec (after YAML, `$ref`, includes, vars, `--set`
 * and matrices), keyed by the pipeline file and overrides and valid while every YAML
 * file it read and the loader's own code are unchanged. Parsing YAML with positions
 * is most of a large pipeline's start-up; a remembered spec skips it. Plugins, params
 * and wiring are still checked on every load.
 *
 * The YAML files are compared by content; the loader's modules by size, mtime and ctime
 * (as bin/compiled.mjs decides which transpiled code runs), so a start stats them instead
 * of reading and hashing them.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashBytes, hashJson } from './hash.ts';
import { projectPaths } from './project.ts';
import { writeFileAtomic } from './atomic.ts';
import { RACY_MS } from './statcache.ts';
import type { ResolvedSpec } from './pipeline-model.ts';

interface Entry {
  /** The loader's files when the spec was resolved, each with its `signatureOf`. */
  loader: [path: string, signature: string][];
  sources: [path: string, hash: string][];
  spec: ResolvedSpec;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The schema the loader reads at run time (not an import, so the module graph does not show it). */
const LOADER_DATA = [join(here, '..', 'schemas', 'pipeline.schema.json')];
const RELATIVE_IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
/** Type-only imports change no behaviour. */
const TYPE_ONLY = /^\s*(?:import|export) type\b[^;]*;/gm;

/** The loader's code: pipeline.ts and every local module it imports at run time, transitively, in a stable order. */
export function loaderFiles(): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.endsWith('.ts')) return;
    for (const [, spec] of readFileSync(file, 'utf8').replace(TYPE_ONLY, '').matchAll(RELATIVE_IMPORT)) visit(resolve(dirname(file), spec!));
  };
  visit(join(here, 'pipeline.ts'));
  return [...[...seen].sort(), ...LOADER_DATA];
}

/** An edit changes one of these (bin/compiled.mjs trusts the same signature). */
const signatureOf = (s: Stats) => `${s.size}:${s.mtimeMs}:${s.ctimeMs}`;

/** The loader's files with their signatures; undefined while one of them is racily fresh. */
function loaderSignatures(): Entry['loader'] | undefined {
  const now = Date.now();
  const signed: Entry['loader'] = [];
  for (const path of loaderFiles()) {
    const s = statSync(path);
    if (now - s.mtimeMs < RACY_MS) return undefined;
    signed.push([path, signatureOf(s)]);
  }
  return signed;
}

function loaderUnchanged(loader: Entry['loader']): boolean {
  return loader.every(([path, signature]) => {
    const s = statSync(path, { throwIfNoEntry: false });
    return s !== undefined && signatureOf(s) === signature;
  });
}

function entryPath(root: string, abs: string, overrides: readonly string[]): string {
  return join(projectPaths(root).store, 'specs', `${hashJson({ abs, overrides }).slice(7, 39)}.json`);
}

function contentHash(path: string): string | undefined {
  try {
    return hashBytes(readFileSync(path));
  } catch {
    return undefined;
  }
}

export function readSpecCache(root: string, abs: string, overrides: readonly string[]): ResolvedSpec | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryPath(root, abs, overrides), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  if (!Array.isArray(entry.loader) || !loaderUnchanged(entry.loader)) return undefined;
  return entry.sources.every(([path, hash]) => contentHash(path) === hash) ? entry.spec : undefined;
}

/** Best effort: a project folder that cannot be written still loads, only slower. */
export function writeSpecCache(root: string, abs: string, overrides: readonly string[], spec: ResolvedSpec): void {
  const loader = loaderSignatures();
  if (!loader) return;
  const sources = spec.sources.map((path): [string, string] => [path, contentHash(path) ?? 'missing']);
  const entry: Entry = { loader, sources, spec };
  writeFileAtomic(entryPath(root, abs, overrides), JSON.stringify(entry)).catch(() => undefined);
}
