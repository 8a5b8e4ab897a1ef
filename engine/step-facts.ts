/**
 * The I/O half of planning: hashes a step's file deps (through the stat cache), its
 * plugin's source and its declared environment. The planner turns these facts, plus
 * upstream records, into a key without touching the disk.
 */
import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { hashJson } from './hash.ts';
import { envFingerprint, type KeyManifest } from './key.ts';
import type { StatCache } from './statcache.ts';
import type { CodeGraph } from './codegraph.ts';
import type { Store } from './store.ts';
import type { LoadedPlugin } from './plugin-loader.ts';
import type { Step } from './pipeline-model.ts';
import type { RunRecord } from './records.ts';

export const MISSING = 'missing';

/** A `models:/name@alias` (or `/version`) param, resolved at plan time. */
export interface ModelFact {
  name: string;
  version: string;
  contentHash: string;
  /** Where the plugin reads the model (replaces the URI in its params). */
  localPath: string;
}

export interface StepFacts {
  code: string;
  /** Package name -> installed version, for every package the plugin's code imports (transitively). */
  packages: Record<string, string>;
  /** Registry URIs found in the params -> the version they resolve to now. */
  models: Record<string, ModelFact>;
  /** Dep path -> hash (or MISSING), for deps that are not exactly another step's out. */
  deps: Record<string, string>;
  env: Record<string, string>;
}

export const CODE_FILE = /\.(ts|mts|js|mjs|cjs|json)$/;
const codeHashes = new Map<string, Promise<string>>();

/**
 * Hash of a plugin's code: every local module its entry imports (shared steps/lib code
 * included), by path relative to the plugin's folder. Memoised per process.
 */
export function codeHash(plugin: LoadedPlugin, stats: StatCache, graph: CodeGraph): Promise<string> {
  let h = codeHashes.get(plugin.entry);
  if (!h) {
    h = (async () => {
      const base = plugin.source === plugin.entry ? dirname(plugin.entry) : plugin.source;
      const listing: [string, string][] = [];
      for (const file of await graph.files(plugin.entry)) listing.push([relative(base, file).split(sep).join('/'), (await stats.hashFile(file)).hash]);
      return hashJson(listing);
    })();
    codeHashes.set(plugin.entry, h);
  }
  return h;
}

const packageVersions = new Map<string, Promise<Record<string, string>>>();

/** The installed versions of the packages a plugin's code imports. Memoised per process, like the code hash. */
export function pluginPackages(plugin: LoadedPlugin, graph: CodeGraph): Promise<Record<string, string>> {
  let p = packageVersions.get(plugin.entry);
  if (!p) {
    p = graph.packages(plugin.entry);
    packageVersions.set(plugin.entry, p);
  }
  return p;
}

/** Forget memoised code hashes and package versions (watch mode, after a plugin file changed). */
export function forgetCodeHashes(): void {
  codeHashes.clear();
  packageVersions.clear();
}

export async function gatherFacts(step: Step, root: string, producedElsewhere: ReadonlySet<string>, stats: StatCache, graph: CodeGraph, env: NodeJS.ProcessEnv, store: Store): Promise<StepFacts> {
  const deps: Record<string, string> = {};
  for (const dep of step.deps) {
    if (producedElsewhere.has(dep)) continue;
    const abs = resolve(root, dep);
    deps[dep] = existsSync(abs) ? (await stats.hashPath(abs)).hash : MISSING;
  }
  return {
    code: await codeHash(step.plugin, stats, graph),
    packages: await pluginPackages(step.plugin, graph),
    models: await resolveModels(step.params, store, env),
    deps,
    env: envFingerprint(step.env, env),
  };
}

const MODEL_URI = /^models:\//;

function modelUris(value: unknown, out: Set<string>): Set<string> {
  if (typeof value === 'string' && MODEL_URI.test(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) modelUris(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) modelUris(v, out);
  return out;
}

/** Resolves every registry URI in `params` (MLflow's registry, or the filesystem registry). */
async function resolveModels(params: unknown, store: Store, env: NodeJS.ProcessEnv): Promise<Record<string, ModelFact>> {
  const uris = modelUris(params, new Set());
  if (uris.size === 0) return {};
  const { resolveModelUri } = await import('./tracking/registry/model-uri.ts');
  const out: Record<string, ModelFact> = {};
  for (const uri of uris) {
    const m = await resolveModelUri(uri, { store, env });
    out[uri] = { name: m.name, version: m.version, contentHash: m.contentHash, localPath: m.localPath };
  }
  return out;
}

/** The params a plugin runs with: registry URIs replaced by the resolved model's local path. */
export function withResolvedModels(value: unknown, models: Readonly<Record<string, ModelFact>>): unknown {
  if (typeof value === 'string') return models[value]?.localPath ?? value;
  if (Array.isArray(value)) return value.map((v) => withResolvedModels(v, models));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withResolvedModels(v, models)]));
  return value;
}

/** The key inputs of a step, once every upstream step has a record. */
export function buildManifest(step: Step, facts: StepFacts, upstream: ReadonlyMap<string, RunRecord>): KeyManifest {
  const inputs: Record<string, string> = {};
  for (const [port, ref] of Object.entries(step.inputs)) {
    const produced = upstream.get(ref.step)?.outputs[ref.output];
    if (!produced) throw new Error(`internal: no record for input ${ref.step}.${ref.output}`);
    inputs[port] = produced.hash;
  }
  const deps: Record<string, string> = {};
  for (const dep of step.deps) {
    const own = facts.deps[dep];
    if (own !== undefined) {
      deps[dep] = own;
      continue;
    }
    for (const record of upstream.values()) {
      const file = record.files[dep];
      if (file) deps[dep] = file.hash;
    }
    deps[dep] ??= MISSING;
  }
  const manifest: KeyManifest = {
    plugin: step.plugin.plugin.name,
    version: step.plugin.plugin.version,
    code: facts.code,
    ...(Object.keys(facts.packages).length > 0 ? { packages: facts.packages } : {}),
    params: step.params,
    inputs,
    deps,
    env: facts.env,
  };
  const models = Object.entries(facts.models);
  // Only present when used, so keys of steps without registry URIs stay as they were.
  if (models.length > 0) manifest.models = Object.fromEntries(models.map(([uri, m]) => [uri, `${m.name}/${m.version} ${m.contentHash}`]));
  return manifest;
}
