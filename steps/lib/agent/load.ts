/**
 * Loads a trained agent (the `model` output of rl.ppo / rl.a2c) for backtests and
 * deployment: deterministic actions, i.e. the Gaussian mean clipped to [-1, 1],
 * after the stored observation normaliser. Pure JS: no tfjs backend is touched.
 */
import { compileInference } from './inference.ts';
import { readModel, type PolicyFile } from './model-io.ts';
import { normalizerFrom } from './normalizer.ts';

export interface LoadedAgent {
  /** The action for one observation (the env's state), as a new array of length action_dim in [-1, 1]. */
  act(obs: Float64Array): Float64Array;
  /** After this, act() throws. */
  dispose(): void;
  /** policy.json: dims, tickers, tech_indicator_list, env config, training record. */
  readonly policy: PolicyFile;
}

export async function loadAgent(dir: string): Promise<LoadedAgent> {
  const { file, net, params } = await readModel(dir);
  const inference = compileInference(net, params);
  const normalizer = file.observation_normalizer === null ? null : normalizerFrom(file.observation_normalizer);
  const input = new Float32Array(file.observation_dim);
  const { low, high } = file.action_space;
  let disposed = false;
  return {
    policy: file,
    act(obs) {
      if (disposed) throw new Error(`agent ${dir} was disposed`);
      if (obs.length !== file.observation_dim) {
        throw new Error(
          `agent ${dir} expects observations of length ${file.observation_dim} (${file.tickers.length} tickers, ` +
            `indicators ${file.tech_indicator_list.join(', ')}), got ${obs.length}`,
        );
      }
      if (normalizer === null) input.set(obs);
      else normalizer.normalize(obs, input);
      return Float64Array.from(inference.mean(input), (a) => Math.min(Math.max(a, low), high));
    },
    dispose() {
      disposed = true;
    },
  };
}
