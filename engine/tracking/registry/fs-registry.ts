/**
 * The filesystem model registry, the embedded default when no MLflow server is
 * configured: one JSON file per registered model under `<storeDir>/tracking/registry/`.
 * Versions reference their files by content hash in the project's store.
 */
import { cp, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Store } from '../../store.ts';
import { storedPath } from '../objects.ts';
import { readJson, withFileLock, writeJsonAtomic } from '../files.ts';
import { VERSION_TAG, type ModelRegistry, type ModelVersion, type RegisteredModel } from './types.ts';

interface StoredVersion {
  version: string;
  source: string;
  runId?: string;
  contentHash: string;
  contentKind: 'file' | 'dir';
  tags: Record<string, string>;
  description?: string;
  createdAt: number;
}

interface StoredModel {
  name: string;
  createdAt: number;
  aliases: Record<string, string>;
  versions: StoredVersion[];
}

export function fsRegistryDir(storeDir: string): string {
  return join(storeDir, 'tracking', 'registry');
}

export function fsRegistry(store: Store): ModelRegistry {
  const dir = fsRegistryDir(store.paths.store);
  const fileOf = (name: string): string => join(dir, `${encodeURIComponent(name)}.json`);
  const read = (name: string): Promise<StoredModel | undefined> => readJson<StoredModel | undefined>(fileOf(name), undefined);

  const update = <T>(name: string, change: (model: StoredModel) => { model: StoredModel; result: T }): Promise<T> =>
    withFileLock(fileOf(name), async () => {
      const current = (await read(name)) ?? { name, createdAt: Date.now(), aliases: {}, versions: [] };
      const { model, result } = change(current);
      await writeJsonAtomic(fileOf(name), model);
      return result;
    });

  const toVersion = (model: StoredModel, v: StoredVersion): ModelVersion => ({
    name: model.name,
    version: v.version,
    source: v.source,
    runId: v.runId,
    status: 'READY',
    contentHash: v.contentHash,
    contentKind: v.contentKind,
    tags: { ...v.tags, [VERSION_TAG.contentHash]: v.contentHash, [VERSION_TAG.contentKind]: v.contentKind },
    aliases: Object.entries(model.aliases)
      .filter(([, version]) => version === v.version)
      .map(([alias]) => alias)
      .sort(),
    createdAt: v.createdAt,
  });

  const toModel = (model: StoredModel): RegisteredModel => ({
    name: model.name,
    aliases: { ...model.aliases },
    versions: model.versions.map((v) => toVersion(model, v)).sort((a, b) => Number(b.version) - Number(a.version)),
  });

  const mustHaveVersion = (model: StoredModel, version: string): void => {
    if (!model.versions.some((v) => v.version === version)) {
      throw new Error(`model ${model.name} has no version ${version} (registry: ${dir})`);
    }
  };

  return {
    description: `filesystem registry ${dir}`,

    async listModels() {
      let files: string[];
      try {
        files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
      } catch {
        return [];
      }
      const models: RegisteredModel[] = [];
      for (const f of files) {
        const model = await readJson<StoredModel | undefined>(join(dir, f), undefined);
        if (model) models.push(toModel(model));
      }
      return models.sort((a, b) => a.name.localeCompare(b.name));
    },

    async getModel(name) {
      const model = await read(name);
      return model && toModel(model);
    },

    async getVersion(name, version) {
      const model = await read(name);
      const v = model?.versions.find((x) => x.version === version);
      return model && v && toVersion(model, v);
    },

    async getVersionByAlias(name, alias) {
      const model = await read(name);
      const version = model?.aliases[alias];
      const v = version === undefined ? undefined : model?.versions.find((x) => x.version === version);
      return model && v && toVersion(model, v);
    },

    async findVersionByHash(name, contentHash) {
      const model = await read(name);
      const v = model?.versions.filter((x) => x.contentHash === contentHash).at(-1);
      return model && v && toVersion(model, v);
    },

    async createVersion(req) {
      if (!store.has(req.contentHash)) {
        throw new Error(`cannot register ${req.name}: ${req.contentHash} is not in the project's store`);
      }
      return update(req.name, (model) => {
        const last = model.versions.reduce((n, v) => Math.max(n, Number(v.version)), 0);
        const stored: StoredVersion = {
          version: String(last + 1),
          source: req.source,
          runId: req.runId,
          contentHash: req.contentHash,
          contentKind: req.contentKind,
          tags: { ...req.tags },
          description: req.description,
          createdAt: Date.now(),
        };
        const next = { ...model, versions: [...model.versions, stored] };
        return { model: next, result: toVersion(next, stored) };
      });
    },

    async setVersionTag(name, version, key, value) {
      await update(name, (model) => {
        mustHaveVersion(model, version);
        const versions = model.versions.map((v) => (v.version === version ? { ...v, tags: { ...v.tags, [key]: value } } : v));
        return { model: { ...model, versions }, result: undefined };
      });
    },

    async setAlias(name, alias, version) {
      if (!(await read(name))) throw new Error(`model ${name} is not registered (registry: ${dir})`);
      await update(name, (model) => {
        mustHaveVersion(model, version);
        return { model: { ...model, aliases: { ...model.aliases, [alias]: version } }, result: undefined };
      });
    },

    async deleteAlias(name, alias) {
      if (!(await read(name))) return;
      await update(name, (model) => {
        const aliases = { ...model.aliases };
        delete aliases[alias];
        return { model: { ...model, aliases }, result: undefined };
      });
    },

    async download(version, dest) {
      if (!version.contentHash) throw new Error(`model ${version.name} version ${version.version} has no content hash`);
      await mkdir(dirname(dest), { recursive: true });
      await cp(await storedPath(store, { kind: version.contentKind, hash: version.contentHash }), dest, { recursive: true });
    },
  };
}
