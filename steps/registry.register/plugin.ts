/**
 * `registry.register`: registers a stored artifact (a PPO model directory, say) as a
 * new version of a registered model, on the MLflow server or in the filesystem
 * registry. Registering identical content again returns the existing version.
 */
import { aliasProblem, definePlugin, VERSION_TAG } from '../../engine/sdk.ts';
import { modelRegistryOf } from '../lib/registry/access.ts';
import { parseStats } from '../lib/registry/promotion.ts';
import type { RegistryRegisterParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

export default definePlugin<RegistryRegisterParams>({
  name: 'registry.register',
  version: '1',
  description: 'Registers an artifact as a new version of a registered model (MLflow or filesystem registry).',
  paramsSchema: schema,
  // ctx.registry: on a Temporal cluster the step runs in the CLI, which tracks the run.
  registry: true,
  inputs: {
    artifact: { description: 'The files to register, e.g. a model directory.' },
    stats: { optional: true, description: 'JSON object of metrics (e.g. backtest.stats) stored on the version for later promotion decisions.' },
  },
  outputs: {
    model: { description: '{ name, version, source } of the registered version.' },
  },
  // Which registry (a server, or the filesystem one) is part of the key; the same inputs
  // against the same registry are cached. Set `always_run: true` on the step to re-check each run.
  env: ['MLFLOW_TRACKING_URI'],
  check(params) {
    const problem = typeof params.alias === 'string' ? aliasProblem(params.alias) : undefined;
    return problem ? [{ path: ['alias'], message: problem }] : [];
  },
  async run(ctx, params, inputs) {
    const registry = modelRegistryOf(ctx);
    const artifact = inputs.artifact!;
    const stats = inputs.stats ? parseStats(await inputs.stats.json(), 'input `stats`') : undefined;

    let version = await registry.findVersionByHash(params.name, artifact.hash);
    if (version) {
      ctx.log.info(`${params.name}: this content is already version ${version.version}; not registering it again`);
    } else {
      const { source, runId } = await registry.publishArtifact(artifact, params.artifact_path ?? 'model');
      version = await registry.createVersion({
        name: params.name,
        source,
        runId,
        contentHash: artifact.hash,
        contentKind: artifact.kind === 'dir' ? 'dir' : 'file',
        description: params.description,
        tags: stats ? { [VERSION_TAG.stats]: JSON.stringify(stats) } : {},
      });
      ctx.log.info(`${params.name}: registered version ${version.version} from ${source}`);
    }
    if (stats && version.tags[VERSION_TAG.stats] !== JSON.stringify(stats)) {
      await registry.setVersionTag(params.name, version.version, VERSION_TAG.stats, JSON.stringify(stats));
    }
    const alias = params.alias === undefined ? 'challenger' : params.alias;
    if (alias !== null) await registry.setAlias(params.name, alias, version.version);

    ctx.track.tag('registry.model', params.name);
    ctx.track.tag('registry.version', version.version);
    ctx.track.tag('registry.source', version.source);
    return { model: { kind: 'json', value: { name: params.name, version: version.version, source: version.source } } };
  },
});
