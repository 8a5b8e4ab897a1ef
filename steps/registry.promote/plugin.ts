/**
 * `registry.promote`: moves the `champion` alias to the challenger only when every
 * metric condition holds against the current champion's stored stats. The decision
 * and its reason are the output and are tagged on the step's run.
 */
import { aliasProblem, definePlugin, VERSION_TAG, type ModelVersion, type ParamIssue, type StepModelRegistry } from '../../engine/sdk.ts';
import { modelRegistryOf } from '../lib/registry/access.ts';
import { decidePromotion, parseStats, type PromotionDecision, type Stats } from '../lib/registry/promotion.ts';
import type { RegistryPromoteParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

export default definePlugin<RegistryPromoteParams>({
  name: 'registry.promote',
  version: '1',
  description: 'Promotes a challenger model version to champion when metric conditions against the champion hold.',
  paramsSchema: schema,
  // ctx.registry: on a Temporal cluster the step runs in the CLI, which tracks the run.
  registry: true,
  inputs: {
    stats: { description: "The challenger's stats JSON (e.g. backtest.stats of its backtest)." },
    candidate: { optional: true, description: "registry.register's output; without it the version aliased `challenger_alias` is the challenger." },
  },
  outputs: {
    decision: { description: '{ model, alias, challenger, champion, promoted, reason, checks[] }' },
  },
  // Which registry (a server, or the filesystem one) is part of the key; the same inputs
  // against the same registry are cached. Set `always_run: true` on the step to re-check each run.
  env: ['MLFLOW_TRACKING_URI'],
  check(params) {
    const issues: ParamIssue[] = [];
    for (const field of ['alias', 'challenger_alias'] as const) {
      const problem = params[field] === undefined ? undefined : aliasProblem(params[field]);
      if (problem) issues.push({ path: [field], message: problem });
    }
    return issues;
  },
  async run(ctx, params, inputs) {
    const registry = modelRegistryOf(ctx);
    const alias = params.alias ?? 'champion';
    const challengerAlias = params.challenger_alias ?? 'challenger';
    const stats = parseStats(await inputs.stats!.json(), 'input `stats`');

    let challengerVersion: string;
    if (inputs.candidate) {
      const candidate = await inputs.candidate.json<{ name?: unknown; version?: unknown }>();
      if (candidate.name !== params.model) throw new Error(`input \`candidate\` is model ${JSON.stringify(candidate.name)}, but params.model is ${JSON.stringify(params.model)}`);
      challengerVersion = String(candidate.version);
    } else {
      const aliased = await registry.getVersionByAlias(params.model, challengerAlias);
      if (!aliased) throw new Error(`model ${params.model} has no ${challengerAlias} alias and no \`candidate\` input is connected (registry: ${registry.description})`);
      challengerVersion = aliased.version;
    }
    const challenger = await registry.getVersion(params.model, challengerVersion);
    if (!challenger) throw new Error(`model ${params.model} has no version ${challengerVersion} (registry: ${registry.description})`);
    // The challenger's stats stay on its version: if promoted, later challengers are judged against them.
    await registry.setVersionTag(params.model, challenger.version, VERSION_TAG.stats, JSON.stringify(stats));

    const champion = await registry.getVersionByAlias(params.model, alias);
    let decision: PromotionDecision;
    if (champion?.version === challenger.version) {
      decision = { promoted: false, reason: `version ${challenger.version} already is ${alias}`, checks: [] };
    } else {
      const championStats = champion ? await storedStats(registry, champion) : undefined;
      decision = decidePromotion(params.metric_conditions, stats, champion && { version: champion.version, stats: championStats ?? {} });
      if (decision.promoted) await registry.setAlias(params.model, alias, challenger.version);
    }

    const summary = decision.promoted ? `promoted version ${challenger.version} to ${alias}` : `kept ${champion ? `version ${champion.version}` : 'no version'} as ${alias}`;
    ctx.log.info(`${params.model}: ${summary} (${decision.reason})`);
    ctx.track.tag('promotion.decision', decision.promoted ? 'promoted' : 'rejected');
    ctx.track.tag('promotion.reason', decision.reason);
    ctx.track.tag('promotion.challenger_version', challenger.version);
    ctx.track.tag('promotion.champion_version', champion?.version ?? 'none');
    return {
      decision: {
        kind: 'json',
        value: { model: params.model, alias, challenger: challenger.version, champion: champion?.version ?? null, ...decision },
      },
    };
  },
});

/** The champion's stats: its version's stats tag, else the latest metrics of the run that registered it. */
async function storedStats(registry: StepModelRegistry, champion: ModelVersion): Promise<Stats | undefined> {
  const tag = champion.tags[VERSION_TAG.stats];
  if (tag) return parseStats(JSON.parse(tag), `champion version ${champion.version}'s stats tag`);
  if (!champion.runId) return undefined;
  return registry.runMetrics(champion.runId);
}
