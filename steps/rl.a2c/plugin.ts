/**
 * `rl.a2c`: Stable-Baselines3's A2C (MlpPolicy, RMSprop, its defaults) trained in
 * FinRL's StockTradingEnv on a feature table, sharing rl.ppo's rollout, network and
 * model format. See README.md.
 */
import { definePlugin } from '../../engine/sdk.ts';
import { withAgentParams } from '../lib/agent/params-schema.ts';
import { agentInputs, agentOutputs } from '../lib/agent/ports.ts';
import { withEnvConfigSchema } from '../lib/trading-env/index.ts';
import type { A2CParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

export default definePlugin<A2CParams>({
  name: 'rl.a2c',
  cpu: true,
  version: '1',
  description: 'Train an A2C agent (Stable-Baselines3 semantics) in the FinRL stock trading env; outputs the model and the training curve.',
  paramsSchema: withEnvConfigSchema(withAgentParams(schema)),
  inputs: agentInputs,
  outputs: agentOutputs('timesteps, episode return, losses, explained_variance, learning_rate'),
  async run(ctx, params, inputs) {
    const [{ trainAgentStep, onPolicyHyperparameters }, { a2cAlgorithm }] = await Promise.all([
      import('../lib/agent/train-step.ts'),
      import('../lib/agent/a2c.ts'),
    ]);
    const algorithm = a2cAlgorithm({ ...onPolicyHyperparameters(params), rmsPropEps: params.rms_prop_eps! });
    return trainAgentStep(ctx, 'rl.a2c', params, inputs, algorithm);
  },
});
