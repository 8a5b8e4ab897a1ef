/**
 * `models:/<name>@<alias>` and `models:/<name>/<version>` URIs, resolved at plan
 * time to a concrete version and its files in the project's store.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { putPath, storedPath } from '../objects.ts';
import { openTarget, type TargetOptions } from '../target.ts';
import type { ModelRegistry, ModelVersion } from './types.ts';

export type ModelRef = { name: string; alias: string } | { name: string; version: string };

const MODEL_URI = /^models:\/([^/@]+)(?:@([A-Za-z0-9_-]+)|\/([1-9][0-9]*))$/;

export function parseModelUri(uri: string): ModelRef {
  const m = MODEL_URI.exec(uri);
  if (!m) throw new Error(`${JSON.stringify(uri)} is not a model URI: expected models:/<name>@<alias> or models:/<name>/<version>`);
  const name = m[1]!;
  return m[2] !== undefined ? { name, alias: m[2] } : { name, version: m[3]! };
}

export async function lookupVersion(registry: ModelRegistry, uri: string): Promise<ModelVersion> {
  const ref = parseModelUri(uri);
  const version = 'alias' in ref ? await registry.getVersionByAlias(ref.name, ref.alias) : await registry.getVersion(ref.name, ref.version);
  if (version) return version;
  const model = await registry.getModel(ref.name);
  if (!model) throw new Error(`${uri}: no registered model named ${JSON.stringify(ref.name)} (registry: ${registry.description})`);
  const known = 'alias' in ref ? `aliases: ${Object.keys(model.aliases).join(', ') || 'none'}` : `versions: ${model.versions.map((v) => v.version).join(', ') || 'none'}`;
  throw new Error(`${uri}: model ${ref.name} has no ${'alias' in ref ? `alias ${ref.alias}` : `version ${ref.version}`} (${known})`);
}

export interface ResolvedModel {
  name: string;
  version: string;
  /** `sha256:<hex>` of the files in the project's store: put it in the cache key. */
  contentHash: string;
  contentKind: 'file' | 'dir';
  /** The files: a read-only checkout of a directory, or the stored file. */
  localPath: string;
  source: string;
}

/**
 * Resolves a model URI to a version and makes its files available locally. Files
 * already in the project's store (registered from this project) are not downloaded;
 * otherwise they are fetched from the version's source and stored.
 */
export async function resolveModelUri(uri: string, opts: TargetOptions): Promise<ResolvedModel> {
  const { registry, store, storeDir } = await openTarget(opts);
  const version = await lookupVersion(registry, uri);
  const base = { name: version.name, version: version.version, source: version.source };
  if (version.contentHash && store.has(version.contentHash)) {
    const ref = { kind: version.contentKind, hash: version.contentHash };
    return { ...base, contentHash: ref.hash, contentKind: ref.kind, localPath: await storedPath(store, ref) };
  }
  await mkdir(join(storeDir, 'tmp'), { recursive: true });
  const tmp = await mkdtemp(join(storeDir, 'tmp', 'model-download-'));
  try {
    const dest = join(tmp, 'model');
    await registry.download(version, dest);
    const ref = await putPath(store, dest, true);
    return { ...base, contentHash: ref.hash, contentKind: ref.kind, localPath: await storedPath(store, ref) };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
