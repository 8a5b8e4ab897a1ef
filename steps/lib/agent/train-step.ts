/**
 * What rl.ppo and rl.a2c share as pipeline steps: build FinRL's environment from the
 * feature table, start the requested tfjs backend, train, and turn the result into
 * the `model` directory and the `curve` table, with metrics, progress and abort.
 */
import { join } from 'node:path';
import { type Artifact, formatDuration, type InputArtifact, type StepContext, table } from '../../../engine/sdk.ts';
import type { StockTradingEnvConfig } from '../../../schemas/stock_trading_env_config.ts';
import { StockTradingEnv, marketFromTable, parseEnvConfig } from '../trading-env/index.ts';
import { initBackend, type Device } from './backend.ts';
import { tradingEnvironment } from './env-adapter.ts';
import { learn, type Algorithm, type OnPolicyHyperparameters } from './learn.ts';
import { saveModel } from './model-io.ts';
import type { Activation } from './network.ts';
import { schedule } from './schedule.ts';

/** The params rl.ppo and rl.a2c have in common; the engine has applied the schema defaults, hence the `!`s. */
export interface AgentStepParams {
  env?: StockTradingEnvConfig;
  tech_indicator_list?: string[];
  total_timesteps: number;
  seed?: number;
  device?: Device;
  policy_kwargs?: {
    net_arch?: number[] | { pi: number[]; vf: number[] };
    activation_fn?: Activation;
    log_std_init?: number;
    ortho_init?: boolean;
  };
  normalize_observation?: boolean;
  log_interval?: number;
  learning_rate?: number | string;
  n_steps?: number;
  gamma?: number;
  gae_lambda?: number;
  ent_coef?: number;
  vf_coef?: number;
  max_grad_norm?: number;
  normalize_advantage?: boolean;
}

/** The SB3 hyperparameters every on-policy algorithm takes, from their param names. */
export function onPolicyHyperparameters(params: AgentStepParams): OnPolicyHyperparameters {
  return {
    learningRate: schedule(params.learning_rate!),
    nSteps: params.n_steps!,
    gamma: params.gamma!,
    gaeLambda: params.gae_lambda!,
    entCoef: params.ent_coef!,
    vfCoef: params.vf_coef!,
    maxGradNorm: params.max_grad_norm!,
    normalizeAdvantage: params.normalize_advantage!,
  };
}

export async function trainAgentStep(
  ctx: StepContext,
  plugin: string,
  params: AgentStepParams,
  inputs: Record<string, InputArtifact>,
  algorithm: Algorithm,
): Promise<Record<string, Artifact>> {
  const config = parseEnvConfig(
    params.tech_indicator_list ? { ...params.env, tech_indicator_list: params.tech_indicator_list } : params.env,
    `${plugin} param \`env\``,
  );
  const market = marketFromTable(await inputs.data!.table(), {
    indicators: config.tech_indicator_list,
    riskColumn: config.turbulence_threshold === null ? null : config.risk_indicator_col,
  });
  const env = new StockTradingEnv(market, config);
  ctx.log.info(`${market.dates.length} dates x ${market.tickers.length} tickers: observation ${env.stateDim}, action ${env.stockDim}`);

  const backend = await initBackend(params.device!);
  ctx.track.tag('tfjs_backend', backend.name);
  ctx.log.info(`tfjs backend: ${backend.name} (${backend.provider})`);

  const kwargs = params.policy_kwargs!;
  const arch = kwargs.net_arch!;
  const curve: Record<string, number>[] = [];
  let lastProgress = 0;
  const trained = await learn({
    env: tradingEnvironment(env),
    backend,
    algorithm,
    policy: {
      netArch: Array.isArray(arch) ? { pi: arch, vf: arch } : arch,
      activation: kwargs.activation_fn!,
      logStdInit: kwargs.log_std_init!,
    },
    orthoInit: kwargs.ortho_init!,
    totalTimesteps: params.total_timesteps,
    seed: params.seed!,
    normalizeObservation: params.normalize_observation!,
    logInterval: params.log_interval!,
    signal: ctx.signal,
    onLog(row) {
      curve.push(row);
      const step = row['time/total_timesteps']!;
      for (const [name, value] of Object.entries(row)) {
        if (name !== 'time/total_timesteps' && Number.isFinite(value)) ctx.track.metric(name, value, step);
      }
    },
    onProgress(p) {
      const now = performance.now();
      if (now - lastProgress < 1000 && p.timesteps < p.totalTimesteps) return;
      lastProgress = now;
      const eta = Math.max(0, (p.totalTimesteps - p.timesteps) / p.timestepsPerSecond);
      ctx.track.metric('time/fps', p.timestepsPerSecond, p.timesteps);
      ctx.progress(Math.min(1, p.timesteps / p.totalTimesteps), `${Math.round(p.timestepsPerSecond)} steps/s, ETA ${formatDuration(eta * 1000)}`);
    },
  });

  const modelDir = join(ctx.scratchDir, 'model');
  const { env: _env, tech_indicator_list: _list, ...hyperparameters } = params;
  await saveModel(modelDir, trained.net, trained.params, {
    algorithm: algorithm.name,
    tickers: [...market.tickers],
    tech_indicator_list: [...config.tech_indicator_list],
    env: config as unknown as Record<string, unknown>,
    observation_normalizer: trained.normalizer?.state() ?? null,
    training: { total_timesteps: params.total_timesteps, timesteps: trained.timesteps, seed: params.seed!, backend: backend.name, hyperparameters },
  });
  return { model: { kind: 'dir', path: modelDir }, curve: { kind: 'table', table: curveTable(curve) } };
}

/** One row per logged update; columns are SB3's logger keys without their prefix (`train/value_loss` -> `value_loss`). */
function curveTable(rows: readonly Record<string, number>[]) {
  const keys = Object.keys(rows[0] ?? {});
  const columns: Record<string, Float64Array> = {};
  for (const key of keys) columns[key.slice(key.indexOf('/') + 1)] = Float64Array.from(rows, (row) => row[key] ?? NaN);
  return table(columns);
}
