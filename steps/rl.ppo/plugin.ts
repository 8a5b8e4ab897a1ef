/**
 * `rl.ppo`: Stable-Baselines3's PPO (MlpPolicy, its defaults and update rules) trained
 * in FinRL's StockTradingEnv on a feature table. Rollouts run in plain JS, gradient
 * updates on the tfjs backend chosen by `device`. See README.md.
 */
import { definePlugin } from '../../engine/sdk.ts';
import { withAgentParams } from '../lib/agent/params-schema.ts';
import { agentInputs, agentOutputs } from '../lib/agent/ports.ts';
import { withEnvConfigSchema } from '../lib/trading-env/index.ts';
import type { PpoParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

export default definePlugin<PpoParams>({
  name: 'rl.ppo',
  cpu: true,
  version: '1',
  description: 'Train a PPO agent (Stable-Baselines3 semantics) in the FinRL stock trading env; outputs the model and the training curve.',
  paramsSchema: withEnvConfigSchema(withAgentParams(schema)),
  inputs: agentInputs,
  outputs: agentOutputs('timesteps, episode return, losses, approx_kl, clip_fraction, explained_variance, learning_rate'),
  async run(ctx, params, inputs) {
    const [{ trainAgentStep, onPolicyHyperparameters }, { ppoAlgorithm }, { schedule }] = await Promise.all([
      import('../lib/agent/train-step.ts'),
      import('../lib/agent/ppo.ts'),
      import('../lib/agent/schedule.ts'),
    ]);
    const algorithm = ppoAlgorithm({
      ...onPolicyHyperparameters(params),
      batchSize: params.batch_size!,
      nEpochs: params.n_epochs!,
      clipRange: schedule(params.clip_range!),
      clipRangeVf: params.clip_range_vf == null ? null : schedule(params.clip_range_vf),
      targetKl: params.target_kl ?? null,
    });
    return trainAgentStep(ctx, 'rl.ppo', params, inputs, algorithm);
  },
});
