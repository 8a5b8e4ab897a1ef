/**
 * On-policy rollout collection as SB3's OnPolicyAlgorithm.collect_rollouts with
 * one environment. The policy runs in plain JS on the float32 weights (one
 * observation at a time is far too small for a tfjs call to pay off); actions are
 * sampled from the Gaussian, clipped to [-1, 1] for the environment, and stored
 * unclipped with their log-probability, as SB3 does.
 */
import type { Draws } from '../random.ts';
import { computeGae } from './gae.ts';
import { compileInference } from './inference.ts';
import { gaussianLogProb } from './losses.ts';
import { view, type Network } from './network.ts';
import type { ObservationNormalizer } from './normalizer.ts';

/** What the agents need from an environment (steps/lib/trading-env is adapted to it in env-adapter.ts). */
export interface Environment {
  readonly observationSize: number;
  readonly actionSize: number;
  /** Starts an episode; returns its first observation. */
  reset(): Float64Array;
  /**
   * `terminal`: the episode ended by the environment's own rules (no bootstrap);
   * `truncated`: cut short by a time limit, so SB3 bootstraps the reward with
   * gamma * V(final observation).
   */
  step(actions: Float64Array): { observation: Float64Array; reward: number; terminal: boolean; truncated: boolean };
}

export interface RolloutBuffer {
  readonly size: number;
  readonly observations: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly episodeStarts: Uint8Array;
  readonly values: Float32Array;
  readonly logProbs: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
}

export interface Episode {
  /** Sum of the environment's rewards (before any bootstrap), as SB3's Monitor records it. */
  readonly return: number;
  readonly length: number;
}

export interface Collector {
  /** Runs `steps` environment steps with the current parameters, continuing the running episode. */
  collect(params: Float32Array, steps: number, gamma: number, gaeLambda: number): RolloutBuffer;
  /** The episodes completed so far, in order. */
  readonly episodes: readonly Episode[];
}

export function createCollector(env: Environment, net: Network, normalizer: ObservationNormalizer | null, draws: Draws): Collector {
  const obsDim = env.observationSize;
  const actionDim = env.actionSize;
  const episodes: Episode[] = [];
  const lastObs = new Float32Array(obsDim);
  const observe = (raw: Float64Array, update: boolean): void => {
    if (normalizer === null) {
      lastObs.set(raw);
      return;
    }
    if (update) normalizer.update(raw);
    normalizer.normalize(raw, lastObs);
  };
  observe(env.reset(), true);
  let lastEpisodeStart = true;
  let episodeReturn = 0;
  let episodeLength = 0;

  return {
    episodes,
    collect(params, steps, gamma, gaeLambda) {
      const observations = new Float32Array(steps * obsDim);
      const actions = new Float32Array(steps * actionDim);
      const rewards = new Float32Array(steps);
      const episodeStarts = new Uint8Array(steps);
      const values = new Float32Array(steps);
      const logProbs = new Float32Array(steps);
      const policy = compileInference(net, params);
      const logStd = view(params, net.logStd);
      const std = Float64Array.from(logStd, Math.exp);
      const clipped = new Float64Array(actionDim);
      const terminalObs = new Float32Array(obsDim);

      for (let t = 0; t < steps; t++) {
        const mean = policy.mean(lastObs);
        const action = actions.subarray(t * actionDim, (t + 1) * actionDim);
        for (let j = 0; j < actionDim; j++) {
          action[j] = mean[j]! + std[j]! * draws.normal();
          clipped[j] = Math.min(Math.max(action[j]!, -1), 1);
        }
        observations.set(lastObs, t * obsDim);
        values[t] = policy.value(lastObs);
        logProbs[t] = gaussianLogProb(action, mean, logStd, 0);
        episodeStarts[t] = lastEpisodeStart ? 1 : 0;

        const result = env.step(clipped);
        let reward = result.reward;
        episodeReturn += result.reward;
        episodeLength++;
        const done = result.terminal || result.truncated;
        if (done) {
          if (result.truncated && !result.terminal) {
            // SB3 bootstraps a time-limit cut from the (normalised, not folded-in) final observation.
            if (normalizer === null) terminalObs.set(result.observation);
            else normalizer.normalize(result.observation, terminalObs);
            reward += gamma * policy.value(terminalObs);
          }
          episodes.push({ return: episodeReturn, length: episodeLength });
          episodeReturn = 0;
          episodeLength = 0;
          observe(env.reset(), true);
        } else {
          observe(result.observation, true);
        }
        rewards[t] = reward;
        lastEpisodeStart = done;
      }

      const { advantages, returns } = computeGae({
        rewards,
        values,
        episodeStarts,
        lastValue: policy.value(lastObs),
        lastDone: lastEpisodeStart,
        gamma,
        gaeLambda,
      });
      return { size: steps, observations, actions, rewards, episodeStarts, values, logProbs, advantages, returns };
    },
  };
}
