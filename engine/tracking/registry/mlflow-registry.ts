/** The model registry of an MLflow server. */
import type { MlflowClient, MlflowModelVersion, MlflowRegisteredModel } from '../client.ts';
import { MlflowError } from '../mlflow-error.ts';
import type { TrackingBackend } from '../backend.ts';
import { VERSION_TAG, type ModelRegistry, type ModelVersion, type RegisteredModel } from './types.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function toVersion(v: MlflowModelVersion): ModelVersion {
  const tags = Object.fromEntries((v.tags ?? []).map((t) => [t.key, t.value]));
  return {
    name: v.name,
    version: String(v.version),
    source: v.source,
    runId: v.run_id || undefined,
    status: v.status,
    contentHash: tags[VERSION_TAG.contentHash],
    contentKind: tags[VERSION_TAG.contentKind] === 'file' ? 'file' : 'dir',
    tags,
    aliases: v.aliases ?? [],
    createdAt: Number(v.creation_timestamp),
  };
}

const missing = (err: unknown): boolean =>
  err instanceof MlflowError &&
  (err.errorCode === 'RESOURCE_DOES_NOT_EXIST' ||
    // MLflow answers an unknown alias with INVALID_PARAMETER_VALUE.
    (err.errorCode === 'INVALID_PARAMETER_VALUE' && /not found/i.test(err.message)));

export interface MlflowRegistryOptions {
  /** How long to wait for a new version to become READY. */
  readyTimeoutMs?: number;
  pollMs?: number;
}

export function mlflowRegistry(client: MlflowClient, artifacts: TrackingBackend, options: MlflowRegistryOptions = {}): ModelRegistry {
  const searchVersions = async (name: string): Promise<ModelVersion[]> => {
    const out: ModelVersion[] = [];
    let token: string | undefined;
    do {
      const page = await client.searchModelVersions({ filter: `name='${name.replace(/'/g, "\\'")}'`, page_token: token });
      out.push(...page.model_versions.map(toVersion));
      token = page.next_page_token || undefined;
    } while (token);
    return out.sort((a, b) => Number(b.version) - Number(a.version));
  };

  const toModel = async (m: MlflowRegisteredModel): Promise<RegisteredModel> => {
    const aliases = Object.fromEntries((m.aliases ?? []).map((a) => [a.alias, String(a.version)]));
    const versions = (await searchVersions(m.name)).map((v) => ({
      ...v,
      aliases: Object.entries(aliases)
        .filter(([, ver]) => ver === v.version)
        .map(([a]) => a),
    }));
    return { name: m.name, aliases, versions };
  };

  const getVersion = async (name: string, version: string): Promise<ModelVersion | undefined> => {
    try {
      return toVersion(await client.getModelVersion(name, version));
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  };

  return {
    description: client.displayUri,

    async listModels() {
      const out: RegisteredModel[] = [];
      let token: string | undefined;
      do {
        const page = await client.searchRegisteredModels({ page_token: token });
        for (const m of page.registered_models) out.push(await toModel(m));
        token = page.next_page_token || undefined;
      } while (token);
      return out.sort((a, b) => a.name.localeCompare(b.name));
    },

    async getModel(name) {
      try {
        return await toModel(await client.getRegisteredModel(name));
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },

    getVersion,

    async getVersionByAlias(name, alias) {
      try {
        return toVersion(await client.getModelVersionByAlias(name, alias));
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },

    async findVersionByHash(name, contentHash) {
      return (await searchVersions(name)).find((v) => v.contentHash === contentHash && v.status !== 'FAILED_REGISTRATION');
    },

    async createVersion(req) {
      try {
        await client.createRegisteredModel(req.name);
      } catch (err) {
        if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
      }
      const tags = { ...req.tags, [VERSION_TAG.contentHash]: req.contentHash, [VERSION_TAG.contentKind]: req.contentKind };
      let version = toVersion(
        await client.createModelVersion({
          name: req.name,
          source: req.source,
          run_id: req.runId,
          description: req.description,
          tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
        }),
      );
      const deadline = Date.now() + (options.readyTimeoutMs ?? 300_000);
      while (version.status === 'PENDING_REGISTRATION') {
        if (Date.now() > deadline) throw new Error(`model ${req.name} version ${version.version} still PENDING_REGISTRATION after ${(options.readyTimeoutMs ?? 300_000) / 1000}s`);
        await sleep(options.pollMs ?? 500);
        version = (await getVersion(req.name, version.version)) ?? version;
      }
      if (version.status === 'FAILED_REGISTRATION') {
        throw new Error(`model ${req.name} version ${version.version} failed registration on ${client.displayUri}`);
      }
      return version;
    },

    async setVersionTag(name, version, key, value) {
      await client.setModelVersionTag(name, version, key, value);
    },

    async setAlias(name, alias, version) {
      await client.setRegisteredModelAlias(name, alias, version);
    },

    async deleteAlias(name, alias) {
      try {
        await client.deleteRegisteredModelAlias(name, alias);
      } catch (err) {
        if (!missing(err)) throw err;
      }
    },

    async download(version, dest) {
      await artifacts.downloadArtifacts(version.source, dest);
    },
  };
}
